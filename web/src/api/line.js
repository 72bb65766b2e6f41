// api/line.js - the control room's calls to the daemon and the pure rules
// behind its tiles: which state a line is in, its tag colour, and the tile
// built from a /metrics answer. Pure helpers take plain values;
// tests/line.test.mjs checks them in node.
//
// Contract (docs/line.md, src/http/api_line.c):
//   GET /api/v1/lines -> {items: [{id, enterprise_id, name, sp_group, sp_node, created_at}]}
//   GET /api/v1/lines/{id}/metrics -> {line_id, items: [{metric, unit, t, value, stale}]}
//   GET /api/v1/lines/{id}/series?metric=&from=&to= -> {points: [[t_ms, value]], ...}
//   ... &step=1m|1h -> {step, buckets: [{t, n, min, max, avg, first, last}], ...}
//     (the stored rollups; lineSeries asks for 1m over ranges above 6 h,
//     1h above ~7 days: seriesStep)
//
// Metric names are the ones `parkline simulate line` publishes (and any
// edge node following the same convention): state (Int32 code), good,
// reject, speed (units/min), temperature (degC).

// State codes of the `state` metric (src/cli/simulate_line.c, docs/line.md).
export const STATE_CODES = { 1: 'running', 2: 'idle', 3: 'down', 4: 'blocked', 5: 'starved' }

// Element Plus tag type per state: running green, idle grey, down red,
// blocked/starved orange; unknown grey too.
const STATE_TAG = { running: 'success', idle: 'info', down: 'danger', blocked: 'warning', starved: 'warning', unknown: 'info' }

export function stateName(code) {
  if (typeof code !== 'number' || !Number.isInteger(code)) return 'unknown'
  return STATE_CODES[code] || 'unknown'
}

export function stateTag(state) {
  return STATE_TAG[state] || 'info'
}

// The metrics a tile shows and the one its drawer charts first.
export const TILE_METRICS = ['state', 'speed', 'good', 'reject', 'temperature']
export const DEFAULT_TREND = 'speed'

// One tile from a line and its /metrics answer (either may be partial):
// {id, name, state, tag, speed, good, reject, temperature, stale, t,
// metrics}. `stale` is true when any shown metric is stale (NDEATH) or
// when there are no values yet; `metrics` lists every metric name for the
// drawer's chooser.
export function tileFrom(line, answer) {
  const items = (answer && Array.isArray(answer.items)) ? answer.items : []
  const by = new Map(items.map((m) => [m.metric, m]))
  const val = (k) => {
    const m = by.get(k)
    return m && typeof m.value === 'number' ? m.value : null
  }
  const state = stateName(val('state'))
  let t = null
  for (const m of items) if (m.t && (!t || m.t > t)) t = m.t
  return {
    id: line.id,
    name: line.name,
    state,
    tag: stateTag(state),
    speed: val('speed'),
    good: val('good'),
    reject: val('reject'),
    temperature: val('temperature'),
    stale: items.length === 0 || items.some((m) => TILE_METRICS.includes(m.metric) && m.stale),
    t,
    metrics: items.map((m) => m.metric),
  }
}

// [{t_ms, value}] pairs from /series into ECharts [Date ms, value] data,
// dropping nulls (non-finite values) so the line shows a gap, not a zero.
// A bucketed answer (step=1m|1h) gives [bucket start, avg] instead.
export function seriesData(answer) {
  if (answer && Array.isArray(answer.buckets)) {
    return answer.buckets.filter((b) => b && typeof b.t === 'number')
      .map((b) => [b.t, typeof b.avg === 'number' ? b.avg : null])
  }
  const pts = answer && Array.isArray(answer.points) ? answer.points : []
  return pts.filter((p) => Array.isArray(p) && typeof p[0] === 'number')
    .map((p) => [p[0], typeof p[1] === 'number' ? p[1] : null])
}

// Ranges longer than this are asked for as 1-minute buckets, not points.
export const SERIES_RAW_MAX_MINUTES = 6 * 60
// ... and longer than this as 1-hour buckets: the server answers at most
// 10,000 buckets (413 beyond), and a minute more than the range keeps the
// request inside the cap.
export const SERIES_MINUTE_MAX_MINUTES = 10000 - 1

// The trend's range picker, in minutes: 1 h, 6 h, 24 h, 7 d, 30 d.
export const TREND_RANGES = [60, 360, 1440, 10080, 43200]

// The step a range is asked for at: 'raw' points, '1m' or '1h' buckets.
export function seriesStep(minutes) {
  if (minutes <= SERIES_RAW_MAX_MINUTES) return 'raw'
  return minutes <= SERIES_MINUTE_MAX_MINUTES ? '1m' : '1h'
}

// The query of lineSeries: raw points up to SERIES_RAW_MAX_MINUTES, the
// stored 1-minute rollups up to SERIES_MINUTE_MAX_MINUTES, the 1-hour
// ones beyond. Pure.
export function seriesQuery(metric, minutes, now) {
  const q = { metric, from: String(now - minutes * 60000), to: String(now + 1000) }
  const step = seriesStep(minutes)
  if (step !== 'raw') q.step = step
  return q
}

export function listLines(api) {
  return api.get('/api/v1/lines', { quiet: true })
}

export function lineMetrics(api, id) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/metrics`, { quiet: true })
}

// The running shift's OEE report (docs/line.md, OEE; 404 without a plan).
export function lineOee(api, id) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/oee`, { query: { shift: 'current' }, quiet: true })
}

// The newer of two OEE reports of one shift (by their "to"), either may be null.
export function newerReport(a, b) {
  if (!a || typeof a !== 'object') return b && typeof b === 'object' ? b : null
  if (!b || typeof b !== 'object') return a
  return String(b.to || '') >= String(a.to || '') ? b : a
}

// The last `minutes` of one metric (buckets beyond 6 h: seriesStep).
export function lineSeries(api, id, metric, minutes = 60, now = Date.now()) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/series`, {
    query: seriesQuery(metric, minutes, now),
  })
}

// ---------------------------------------------------------------- live
// The control room is kept live by the server-sent events of
// GET /api/v1/live: event "line" carries a tile {line_id, state, speed,
// temperature, good, reject, stale, alarms_active, alarms_unack, oee, t}
// (at most one per line per ingest flush, ~250 ms), event "alarm" an alarm
// change {alarm_id, line_id, name, event, state, ...}. The stream is
// filtered per caller by the server. Contract: docs/line.md.
//   GET /api/v1/lines/{id}/live -> the same tile (first paint)
//   GET /api/v1/alarms -> {items: [alarm]} (not normal, visible lines)
//   POST /api/v1/alarms/{id}/ack | /unshelve, /shelve {minutes}

// The tile after a live "line" event: the server's fields win, the
// metrics list and anything the event lacks stay. Pure.
export function tileMerge(tile, ev) {
  if (!ev || typeof ev !== 'object') return tile
  const state = typeof ev.state === 'string' && STATE_TAG[ev.state] ? ev.state : tile.state
  const pick = (k) => (k in ev && (ev[k] === null || typeof ev[k] === 'number') ? ev[k] : tile[k])
  return {
    ...tile,
    state,
    tag: stateTag(state),
    speed: pick('speed'),
    temperature: pick('temperature'),
    good: pick('good'),
    reject: pick('reject'),
    stale: typeof ev.stale === 'boolean' ? ev.stale : tile.stale,
    t: typeof ev.t === 'string' ? ev.t : tile.t,
    oee: ev.oee && typeof ev.oee === 'object' ? ev.oee : (ev.oee === null ? null : tile.oee ?? null),
    alarmsActive: typeof ev.alarms_active === 'number' ? ev.alarms_active : (tile.alarmsActive ?? 0),
    alarmsUnack: typeof ev.alarms_unack === 'number' ? ev.alarms_unack : (tile.alarmsUnack ?? 0),
  }
}

// The running shift's two Paretos from a tile's OEE report (docs/line.md,
// OEE): reject reasons [{key, n, share, cum}] and time in each non-running
// state [{key, ms, share, cum}], largest first as the daemon sorts them;
// share is of the Pareto's total, cum the running sum of shares. Entries
// that are not {reason, count > 0} / {state, ms > 0} are left out.
export function shiftParetos(oee) {
  const rows = (list, key, val) => {
    const items = (Array.isArray(list) ? list : [])
      .filter((e) => e && typeof e[key] === 'string' && Number.isFinite(e[val]) && e[val] > 0)
      .map((e) => ({ key: e[key], v: e[val] }))
    const all = items.reduce((a, e) => a + e.v, 0)
    let cum = 0
    return items.map((e) => {
      cum += e.v
      return { key: e.key, [val === 'count' ? 'n' : 'ms']: e.v, share: e.v / all, cum: cum / all }
    })
  }
  const o = oee && typeof oee === 'object' ? oee : {}
  return {
    rejects: rows(o.reject_pareto, 'reason', 'count'),
    downtime: rows(o.downtime_pareto, 'state', 'ms'),
    defectRate: typeof o.defect_rate === 'number' && Number.isFinite(o.defect_rate) ? o.defect_rate : null,
  }
}

// A ratio 0..1 (or above: performance may exceed 1) as a percentage text
// with one decimal, '—' when unknown.
export function pct(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—'
}

// ISA-18.2 states: tag colour, and the operator buttons each allows.
const ALARM_TAG = { unacknowledged: 'danger', acknowledged: 'warning', returned_unacknowledged: 'info', shelved: 'info', normal: 'success' }
export function alarmTag(state) {
  return ALARM_TAG[state] || 'info'
}
export function alarmActions(state) {
  switch (state) {
    case 'unacknowledged': case 'returned_unacknowledged': return ['ack', 'shelve']
    case 'acknowledged': return ['shelve']
    case 'shelved': return ['unshelve']
    default: return []
  }
}

export function lineLive(api, id) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/live`, { quiet: true })
}
export function listAlarms(api) {
  return api.get('/api/v1/alarms', { quiet: true })
}
export function alarmAct(api, id, action, minutes = 60) {
  const p = `/api/v1/alarms/${encodeURIComponent(id)}/${action}`
  return api.post(p, action === 'shelve' ? { minutes } : {})
}

// Opens the live stream and calls on.line(tile) / on.alarm(change) /
// on.open(). EventSource reconnects by itself after a dropped connection
// (the server says retry: 3000); when the browser gives up (readyState
// CLOSED, e.g. the daemon restarted and answered an error) we open a new
// one after retryMs. Returns close(). EventSourceImpl is injectable for
// tests.
export function liveStream(on, { url = '/api/v1/live', retryMs = 3000, EventSourceImpl = globalThis.EventSource } = {}) {
  let es = null
  let timer = null
  let closed = false
  const parse = (e) => { try { return JSON.parse(e.data) } catch { return null } }
  const connect = () => {
    timer = null
    if (closed || !EventSourceImpl) return
    es = new EventSourceImpl(url, { withCredentials: true })
    es.addEventListener('hello', () => on.open && on.open())
    es.addEventListener('line', (e) => { const d = parse(e); if (d && on.line) on.line(d) })
    es.addEventListener('alarm', (e) => { const d = parse(e); if (d && on.alarm) on.alarm(d) })
    es.onerror = () => {
      if (closed || !es || es.readyState !== 2) return
      es.close()
      es = null
      timer = setTimeout(connect, retryMs)
    }
  }
  connect()
  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    if (es) es.close()
  }
}
