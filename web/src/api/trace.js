// api/trace.js - the traceability pages' calls to the daemon and the pure
// rules behind them: what counts as a code worth sending, node colours by
// kind, the ECharts graph built from a genealogy answer, the timeline rows.
//
// The daemon checks every code itself (trace_id_parse: check digits,
// canonical form) and answers 400 with a detail naming the problem; the
// check here only catches what is obviously not a code (empty, too long,
// spaces in a URI) so the user gets an answer before a round trip.
// Pure helpers take plain values; tests/trace.test.mjs checks them in node.
//
// Contract (issue 4):
//   GET /api/v1/trace/{code}/backward|forward ->
//       {root, nodes:[{id,kind,label}], edges:[{from,to,kind,event_id,time}], events:[...], timeline:[...]}
//   GET /api/v1/trace/recall?code=...(&format=csv) -> {root, total, units:[{id,label,location,disposition,...}]}

// Same bound as TRACE_ID_MAX in src/trace/trace.h (NUL excluded).
export const CODE_MAX = 511

// Node kinds the genealogy names (src/trace/genealogy.c walk__kind: unit,
// lot, product, logistic_unit, asset, location, other; tray, batch and case
// are accepted too), each with its colour; anything else is grey. Colours
// are ECharts' default palette.
export const KINDS = [
  ['unit', '#5470c6'],
  ['lot', '#fac858'],
  ['batch', '#ee6666'],
  ['tray', '#91cc75'],
  ['asset', '#91cc75'],
  ['case', '#73c0de'],
  ['logistic_unit', '#73c0de'],
  ['product', '#fc8452'],
  ['location', '#9a60b4'],
]
const KIND_COLOR = new Map(KINDS)
export const OTHER_COLOR = '#9a9a9a'

export const DIRECTIONS = ['backward', 'forward']

// Most nodes the page draws; the daemon bounds its walk too. A bigger
// answer is drawn truncated and the page says so.
export const MAX_GRAPH_NODES = 500

// GS1 mod-10 check digit of a digit string (weights 3,1,3,... from the
// right), as trace_gs1_check_digit does in C.
export function gs1CheckDigit(digits) {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48
    sum += d * (i % 2 === 0 ? 3 : 1)
  }
  return (10 - (sum % 10)) % 10
}

// EPC URN component escaping (TDS: '%' escapes for the characters that
// are not allowed verbatim, '/' included).
function urnEscape(s) {
  return [...new TextEncoder().encode(s)].map((b) => {
    const c = String.fromCharCode(b)
    return /[A-Za-z0-9\-_.!'()*+,;:=]/.test(c) && b < 128 ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }).join('')
}

// Turns a GS1 Digital Link into the equivalent EPC URN, because the walk's
// path segment cannot carry a '/' (the daemon decodes %2F before routing).
// The company-prefix split inside the URN is arbitrary (7 digits here): the
// daemon joins the parts back into the same GTIN/SSCC/GLN and re-derives
// the canonical Digital Link, so any split gives the same answer. The
// check digit the URN drops is verified here instead, so a mistyped key
// is still refused. Handles the keys the park uses: 01+21, 01+10, 00,
// 8003 and 414(+254). Returns { urn } or { error } (an i18n key).
const CP = 7
export function digitalLinkToUrn(uri) {
  let u
  try {
    u = new URL(uri)
  } catch {
    return { error: 'trace.codeForm' }
  }
  const segs = u.pathname.split('/').filter(Boolean).map((x) => {
    try { return decodeURIComponent(x) } catch { return null }
  })
  if (segs.includes(null)) return { error: 'trace.codeForm' }
  // The primary key may follow any path prefix: find the first known AI.
  const at = segs.findIndex((x, i) => ['01', '00', '8003', '414'].includes(x) && i + 1 < segs.length)
  if (at < 0) return { error: 'trace.codeForm' }
  const [ai, key, q, qv] = segs.slice(at, at + 4)
  const checked = (digits, n) => /^\d+$/.test(digits) && digits.length === n &&
    gs1CheckDigit(digits.slice(0, -1)) === Number(digits[n - 1])
  if (ai === '01') {
    if (!checked(key, 14)) return { error: 'trace.codeCheck' }
    const cp = key.slice(1, 1 + CP)
    const ir = key[0] + key.slice(1 + CP, 13)
    if (q === '21' && qv) return { urn: `urn:epc:id:sgtin:${cp}.${ir}.${urnEscape(qv)}` }
    if (q === '10' && qv) return { urn: `urn:epc:class:lgtin:${cp}.${ir}.${urnEscape(qv)}` }
    return { urn: `urn:epc:idpat:sgtin:${cp}.${ir}.*` }
  }
  if (ai === '00') {
    if (!checked(key, 18)) return { error: 'trace.codeCheck' }
    return { urn: `urn:epc:id:sscc:${key.slice(1, 1 + CP)}.${key[0]}${key.slice(1 + CP, 17)}` }
  }
  if (ai === '8003') {
    // 0 + 12 digits (prefix + asset type) + check digit + optional serial.
    const num = key.slice(0, 14)
    if (key[0] !== '0' || !checked(num.slice(1), 13)) return { error: 'trace.codeCheck' }
    const serial = key.slice(14)
    const head = `${num.slice(1, 1 + CP)}.${num.slice(1 + CP, 13)}`
    return { urn: serial ? `urn:epc:id:grai:${head}.${urnEscape(serial)}` : `urn:epc:idpat:grai:${head}.*` }
  }
  // 414: GLN-13 (prefix + location reference + check digit), 254 extension.
  if (!checked(key, 13)) return { error: 'trace.codeCheck' }
  const ext = q === '254' && qv ? urnEscape(qv) : '0'
  return { urn: `urn:epc:id:sgln:${key.slice(0, CP)}.${key.slice(CP, 12)}.${ext}` }
}

// Checks a code typed by a person. Returns { code } with the trimmed code
// (20-digit drug codes may be typed with spaces between groups: those are
// dropped), or { error } naming an i18n key.
export function checkCode(input) {
  if (typeof input !== 'string') return { error: 'trace.codeRequired' }
  const s = input.trim()
  if (!s) return { error: 'trace.codeRequired' }
  if (s.length > CODE_MAX) return { error: 'trace.codeTooLong' }
  const digits = s.replace(/\s+/g, '')
  if (/^\d+$/.test(digits)) {
    return digits.length === 20 ? { code: digits } : { error: 'trace.codeDigits' }
  }
  if (/\s/.test(s)) return { error: 'trace.codeSpaces' }
  if (/^urn:epc:/i.test(s) || /^https?:\/\//i.test(s)) return { code: s }
  return { error: 'trace.codeForm' }
}

// The form of a code that fits in the walk's path segment: URNs and drug
// codes as they are, Digital Links as URNs. -> { code } or { error }.
export function pathCode(code) {
  if (!/^https?:\/\//i.test(code)) return { code }
  const r = digitalLinkToUrn(code)
  return r.error ? r : { code: r.urn }
}

// A short name for a node in the graph: the serial, lot, SSCC or asset
// part of a GS1 Digital Link (V0001, API-2611A, 069012340000000016,
// 06901234100013T01), a drug code's 20 digits, or the id itself. The full
// id stays in the tooltip.
export function shortLabel(id) {
  if (typeof id !== 'string') return ''
  const m = /\/(?:21|10|00|8003|8004|254)\/([^/?#]+)(?:[?#].*)?$/.exec(id)
  if (m) {
    try { return decodeURIComponent(m[1]) } catch { return m[1] }
  }
  const tail = /[:/]([^:/]+)$/.exec(id)
  return tail && id.startsWith('urn:') ? tail[1] : id
}

export function kindColor(kind) {
  return KIND_COLOR.get(kind) || OTHER_COLOR
}

// The ECharts series data of a genealogy answer: one node per distinct id
// (first wins), coloured by kind, the root drawn larger; links only between
// nodes that exist, so a truncated or inconsistent answer still draws.
//   -> { nodes: [{id, name, value, category, symbolSize, itemStyle}], links: [{source, target, value}],
//        categories: [{name, itemStyle}], truncated }
export function graphData(body) {
  const nodes = []
  const seen = new Set()
  const src = body && Array.isArray(body.nodes) ? body.nodes : []
  let truncated = false
  for (const n of src) {
    if (!n || typeof n.id !== 'string' || seen.has(n.id)) continue
    if (nodes.length >= MAX_GRAPH_NODES) {
      truncated = true
      break
    }
    seen.add(n.id)
    const kind = typeof n.kind === 'string' ? n.kind : 'other'
    nodes.push({
      id: n.id,
      name: shortLabel(n.id) || n.label || n.id,
      value: n.id,
      kind,
      symbolSize: body.root === n.id ? 34 : 20,
      itemStyle: { color: kindColor(kind), borderColor: body.root === n.id ? '#222' : undefined, borderWidth: body.root === n.id ? 2 : 0 },
    })
  }
  const links = []
  const edges = body && Array.isArray(body.edges) ? body.edges : []
  for (const e of edges) {
    if (!e || !seen.has(e.from) || !seen.has(e.to)) continue
    links.push({ source: e.from, target: e.to, value: typeof e.kind === 'string' ? e.kind : '' })
  }
  // Legend: the kinds present, in KINDS order, then "other".
  const present = new Set(nodes.map((n) => n.kind))
  const categories = [...KINDS.map(([name, color]) => ({ name, itemStyle: { color } })),
    { name: 'other', itemStyle: { color: OTHER_COLOR } }]
  for (const n of nodes) n.category = categories.findIndex((c) => c.name === (KIND_COLOR.has(n.kind) ? n.kind : 'other'))
  const shown = categories.map((c, i) => ({ ...c, index: i })).filter((c) => present.has(c.name) ||
    (c.name === 'other' && nodes.some((n) => !KIND_COLOR.has(n.kind))))
  return { nodes, links, categories, legend: shown.map((c) => c.name), truncated }
}

// The value of a field that EPCIS JSON-LD may give as a string or as an
// object with an id ({"id": "urn:epc:id:sgln:..."}).
function idOf(v) {
  if (typeof v === 'string') return v
  if (v && typeof v === 'object' && typeof v.id === 'string') return v.id
  return ''
}

// CBV values are URIs or bare words ("commissioning" or
// "https://ref.gs1.org/cbv/BizStep-commissioning"); show the bare word.
export function cbvWord(v) {
  const s = idOf(v)
  const m = /(?:BizStep-|Disp-|bizstep:|disp:)([A-Za-z_]+)$/.exec(s)
  return m ? m[1] : s
}

// What an inspection verdict carries (the line-side node's extension
// member pl:inspection, docs/vision/README.md "Line-side node"), or null:
// {verdict, confidence, fillMm, reasons: [{class, confidence, view, sizeUm,
// detail}], images: [{url, name, local}]}. The member is read under its
// prefixed name as captured, or as the expanded IRI. An image is `local`
// when it is a path on this site ("/..."): only those are shown inline;
// others (a line node's http(s) or file:// reference) are listed as links,
// so an event's data never makes the browser fetch from elsewhere.
const INSPECTION_KEYS = ['pl:inspection', 'https://parkline.example/epcis/vision/inspection']

export function inspectionOf(ev) {
  if (!ev || typeof ev !== 'object') return null
  const key = INSPECTION_KEYS.find((k) => ev[k] && typeof ev[k] === 'object' && !Array.isArray(ev[k]))
  if (!key) return null
  const v = ev[key]
  const num = (x) => (Number.isFinite(x) ? x : null)
  return {
    verdict: typeof v.verdict === 'string' ? v.verdict : '',
    confidence: num(v.confidence),
    fillMm: num(v.fillMm),
    reasons: (Array.isArray(v.reasons) ? v.reasons : []).filter((r) => r && typeof r === 'object').map((r) => ({
      class: typeof r.class === 'string' ? r.class : '',
      confidence: num(r.confidence),
      view: Number.isInteger(r.view) ? r.view : null,
      sizeUm: num(r.sizeUm),
      detail: typeof r.detail === 'string' ? r.detail : '',
    })),
    images: (Array.isArray(v.images) ? v.images : []).filter((u) => typeof u === 'string' && u).map((u) => ({
      url: u,
      name: u.replace(/[?#].*$/, '').split('/').filter(Boolean).slice(-2).join('/'),
      local: /^\/(?![/\\])/.test(u),
    })),
  }
}

// Timeline rows, oldest first: from `timeline` when the daemon sends it,
// else from `events`. Each row: {time, type, bizStep, disposition, readPoint,
// eventId, inspection} (inspection: inspectionOf the row's event body).
export function timelineRows(body) {
  const src = body && Array.isArray(body.timeline) && body.timeline.length ? body.timeline :
    (body && Array.isArray(body.events) ? body.events : [])
  const rows = src.filter((e) => e && typeof e === 'object').map((e) => ({
    time: typeof e.eventTime === 'string' ? e.eventTime : (typeof e.time === 'string' ? e.time : (e.event_time || '')),
    type: String(e.type || ''),
    action: String(e.action || ''),
    bizStep: cbvWord(e.bizStep ?? e.biz_step),
    disposition: cbvWord(e.disposition),
    readPoint: idOf(e.readPoint ?? e.read_point),
    eventId: String(e.eventID ?? e.event_id ?? e.id ?? ''),
    inspection: inspectionOf(e.event && typeof e.event === 'object' ? e.event : e),
  }))
  rows.sort((a, b) => (Date.parse(a.time) || 0) - (Date.parse(b.time) || 0))
  return rows
}

// Recall rows from {units, total} (or {items}), whatever the field spelling.
export function recallRows(body) {
  const items = body && Array.isArray(body.units) ? body.units : (body && Array.isArray(body.items) ? body.items : [])
  return items.filter((r) => r && typeof r === 'object').map((r) => ({
    id: String(r.id ?? r.epc ?? r.code ?? ''),
    kind: String(r.kind ?? ''),
    label: String(r.label ?? ''),
    location: idOf(r.last_location ?? r.location ?? r.biz_location ?? r.read_point),
    disposition: cbvWord(r.last_disposition ?? r.disposition),
    time: String(r.location_time ?? r.disposition_time ?? r.last_time ?? r.time ?? ''),
  }))
}

// Units per last known location, most first (ties by location), from the
// daemon's by_location ({location: n}; "unknown" for units with none,
// which comes back as ''); each with its share of all counted units.
// Without by_location the rows are counted instead.
export function recallLocations(body, rows) {
  const src = body && body.by_location && typeof body.by_location === 'object' ? body.by_location : null
  const counts = new Map()
  if (src) {
    for (const [loc, n] of Object.entries(src)) {
      if (Number.isFinite(n) && n > 0) counts.set(loc === 'unknown' ? '' : loc, n)
    }
  } else {
    for (const r of rows || []) counts.set(r.location, (counts.get(r.location) || 0) + 1)
  }
  const all = [...counts.values()].reduce((a, b) => a + b, 0)
  return [...counts.entries()]
    .map(([location, n]) => ({ location, n, share: all ? n / all : 0 }))
    .sort((a, b) => b.n - a.n || (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
}

export function recallCsvUrl(code) {
  return '/api/v1/trace/recall?' + new URLSearchParams({ code, format: 'csv' }).toString()
}

export function getGenealogy(api, code, direction, opts) {
  if (!DIRECTIONS.includes(direction)) throw new Error(`unknown direction: ${direction}`)
  const p = pathCode(code)
  if (p.error) throw new Error(p.error)
  return api.get(`/api/v1/trace/${encodeURIComponent(p.code)}/${direction}`, opts)
}

export function getRecall(api, code, opts) {
  return api.get('/api/v1/trace/recall', { ...opts, query: { code } })
}
