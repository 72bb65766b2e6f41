// api/park.js - the park pages' calls to the daemon (园区: indicators,
// enterprises, supplier matching) and the pure rules they show (which
// tabs a role sees, how an indicator reads, catalogue checks before a
// save). 
//
// Calls go through the injected API client (src/api.js: cookies, CSRF,
// problem+json); every function takes that client first and keeps no state.
// The pure helpers take plain values so tests/park.test.mjs checks them in
// node without a browser.
//
// Contract (issue 7, docs/park.md and docs/park-matching.md):
//   GET /api/v1/park/indicators?date=&year= -> {date, year, indicators:[{key,label_zh,label_en,value,unit,numerator,denominator,source}], trend:[{year, values}]}
//   GET /api/v1/park/indicators/{key}/rows?date=&year= -> {key, rows:[...]}
//   GET /api/v1/park/enterprises?q=&cert=&in_production=&limit=&offset= -> {items, total}
//   GET /api/v1/park/enterprises/{id} -> {enterprise, certifications, yearly, projects}
//   GET /api/v1/park/logistics -> {baseline_days, average_days, count, shipments}
//   GET/PUT /api/v1/park/enterprises/{id}/catalog -> {enterprise_id, enterprise_name, in_park, items:[{kind, industry_code, product, description}]}
//   GET /api/v1/park/match?enterprise_id=&need=&industry=&limit= -> {items:[{enterprise_id, enterprise_name, in_park, score, terms, code_match, item}]}
//   POST /api/v1/park/introductions {buyer_id, supplier_id, note} -> 201 {buyer_request, supplier_request}

const BASE = '/api/v1/park'

// The dashboard's cards in reading order (the article's order); keys the
// daemon adds later are shown after these.
export const CARD_ORDER = [
  'tech_enterprises', 'high_tech_enterprises', 'specialized_enterprises', 'rd_intensity',
  'high_tech_output_share', 'high_tech_product_revenue_share', 'smart_enterprises',
  'smart_projects', 'smart_investment', 'smart_factories', 'digital_workshops',
  'port_to_plant_days',
]

// Indicators drawn as yearly trends (the ratios the yearly figures give).
export const TREND_KEYS = ['rd_intensity', 'high_tech_output_share', 'high_tech_product_revenue_share']

// Certification types (docs/park.md) for the enterprise list's filter.
export const CERTS = ['tech_sme', 'high_tech', 'specialized']

// Items one catalogue holds and the text caps (src/park/match.h).
export const CATALOG_MAX = 100
export const PRODUCT_MAX = 200
export const DESC_MAX = 1000

// Which park tabs a role sees: the dashboard is park-wide aggregates
// (park.indicators: not enterprises), enterprises need park.data.read
// (not department staff), matching needs park.match (not department staff
// nor auditors). docs/security.md is the source.
export function parkTabs(role) {
  const tabs = []
  if (['park_admin', 'specialist', 'department', 'auditor'].includes(role)) tabs.push('overview')
  if (['park_admin', 'specialist', 'enterprise', 'auditor'].includes(role)) tabs.push('enterprises')
  if (['park_admin', 'specialist', 'enterprise'].includes(role)) tabs.push('match')
  return tabs
}

// Indicators sorted for the cards: CARD_ORDER first, unknown keys after in
// the daemon's order.
export function sortIndicators(list) {
  const rank = (k) => { const i = CARD_ORDER.indexOf(k); return i < 0 ? CARD_ORDER.length : i }
  return [...(list || [])].map((x, i) => [x, i])
    .sort((a, b) => rank(a[0].key) - rank(b[0].key) || a[1] - b[1]).map((p) => p[0])
}

// How a card's value reads: percentages and 亿元 with one decimal, days
// with one, counts as integers; null as '—'. en spells the units.
const UNIT_EN = { '家': '', '个': '', '亿元': ' × 100M yuan', '天': ' days', '工作日': ' working days', '%': ' %' }
export function formatIndicator(ind, locale = 'zh-CN') {
  const v = ind ? ind.value : null
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—'
  const n = Number(v)
  const unit = ind.unit || ''
  const digits = unit === '%' || unit === '亿元' || unit === '天' ? 1 : 0
  const num = digits ? n.toFixed(digits) : String(Math.round(n))
  if (locale === 'zh-CN') return num + (unit === '%' ? ' %' : ' ' + unit).replace(/ $/, '')
  return num + (UNIT_EN[unit] !== undefined ? UNIT_EN[unit] : ' ' + unit)
}

export function indicatorLabel(ind, locale = 'zh-CN') {
  return (locale === 'zh-CN' ? ind.label_zh : ind.label_en) || ind.key
}

// The rows path of an indicator: its `source` when that is one of our own
// API paths (same date and year; green_days_saved points at the desk's
// green-channel list), else built from the key. Never another origin.
export function rowsPath(ind) {
  if (ind && typeof ind.source === 'string' && /^\/api\/v1\/[a-z]/.test(ind.source)) return ind.source
  return `${BASE}/indicators/${encodeURIComponent(ind.key)}/rows`
}

// Columns of a rows table: the union of the rows' keys in first-seen
// order, ids last (they are for links, not for reading).
export function rowColumns(rows) {
  const cols = []
  for (const r of rows || []) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k)
  return [...cols.filter((c) => !/(^|_)id$/.test(c)), ...cols.filter((c) => /(^|_)id$/.test(c))]
}

// Trend series for ECharts: [{key, data:[[year, value|null]]}] for keys.
export function trendSeries(trend, keys) {
  const years = (trend || []).map((t) => t.year)
  return keys.map((k) => ({ key: k, years, data: (trend || []).map((t) => {
    const v = t.values ? t.values[k] : null
    return v === undefined ? null : v
  }) }))
}

// GB/T 4754 code as the daemon accepts it (section letter optional, 2-4
// digits); the daemon still checks the section and 大类.
export function codeValid(code) {
  return typeof code === 'string' && /^[A-Ta-t]?\d{2,4}$/.test(code.trim())
}

// Checks a catalogue before a save; returns null or {index, field} of the
// first bad item (the daemon says the same in its 400, this only saves a
// round trip).
export function catalogError(items) {
  if (!Array.isArray(items)) return { index: -1, field: 'items' }
  if (items.length > CATALOG_MAX) return { index: CATALOG_MAX, field: 'items' }
  for (let i = 0; i < items.length; i++) {
    const it = items[i]
    if (it.kind !== 'make' && it.kind !== 'buy') return { index: i, field: 'kind' }
    if (!codeValid(it.industry_code)) return { index: i, field: 'industry_code' }
    const p = (it.product || '').trim()
    if (!p || new TextEncoder().encode(it.product).length > PRODUCT_MAX) return { index: i, field: 'product' }
    if (new TextEncoder().encode(it.description || '').length > DESC_MAX) return { index: i, field: 'description' }
  }
  return null
}

// The body PUT sends: only the fields the daemon knows, codes trimmed.
export function catalogBody(items, inPark) {
  return {
    in_park: inPark !== false,
    items: items.map((it) => ({
      kind: it.kind, industry_code: String(it.industry_code || '').trim(),
      product: it.product, description: it.description || '',
    })),
  }
}

// ------------------------------------------------------------------ calls

export function getIndicators(api, { date, year } = {}) {
  return api.get(`${BASE}/indicators`, { query: { date, year } })
}

// {rows}: the indicator's rows, or the list its source answers with.
export async function getIndicatorRows(api, ind) {
  const body = await api.get(rowsPath(ind))
  return { rows: (body && (body.rows || body.items)) || [] }
}

export function listEnterprises(api, { q, cert, inProduction, limit = 20, offset = 0 } = {}) {
  return api.get(`${BASE}/enterprises`, {
    query: { q, cert, in_production: inProduction === '' ? undefined : inProduction, limit, offset },
  })
}

export function getEnterprise(api, id) {
  return api.get(`${BASE}/enterprises/${encodeURIComponent(id)}`)
}

export function getLogistics(api) {
  return api.get(`${BASE}/logistics`, { quiet: true })
}

// Production sharing (docs/park.md section 7):
// GET/PUT /api/v1/park/enterprises/{id}/sharing -> {enterprise_id,
// share_production, updated_at, updated_by}. Who may switch it: the park
// admin and the enterprise's own users (park.data.write); the daemon decides.
export function sharingEditable(user, enterpriseId) {
  if (!user) return false
  return user.role === 'park_admin' || (user.role === 'enterprise' && user.enterprise_id === enterpriseId)
}

export function getSharing(api, id) {
  return api.get(`${BASE}/enterprises/${encodeURIComponent(id)}/sharing`, { quiet: true })
}

export function putSharing(api, id, on) {
  return api.request('PUT', `${BASE}/enterprises/${encodeURIComponent(id)}/sharing`,
    { body: { share_production: on === true } })
}

export function getCatalog(api, id) {
  return api.get(`${BASE}/enterprises/${encodeURIComponent(id)}/catalog`)
}

export function putCatalog(api, id, items, inPark) {
  return api.request('PUT', `${BASE}/enterprises/${encodeURIComponent(id)}/catalog`,
    { body: catalogBody(items, inPark) })
}

export function matchSuppliers(api, { enterpriseId, need, industry, limit = 10 }) {
  return api.get(`${BASE}/match`, { query: { enterprise_id: enterpriseId, need, industry, limit } })
}

export function introduce(api, { buyerId, supplierId, note }) {
  return api.post(`${BASE}/introductions`, { buyer_id: buyerId, supplier_id: supplierId, note })
}
