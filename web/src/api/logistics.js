// api/logistics.js - the park dashboard's port-to-plant panel (区港联动,
// docs/park.md section 4): the shipments measured from EPCIS events, each
// set against the park's baseline (the days a shipment took before the
// linked ports), and the baseline itself, which the park admin edits.
//   GET /api/v1/park/logistics -> {baseline_days, average_days,
//       average_saved_days, count, shipments:[{id, enterprise_name,
//       declared_at, received_at, days, saved_days, port, plant}]}
//   GET/PUT /api/v1/park/logistics/baseline -> {baseline_days, updated_at,
//       updated_by}; PUT takes exactly {baseline_days: 1..365}
// The pure helpers below are tested in node (web/tests/park-logistics.test.mjs);
// the daemon stays the judge of every value.

const BASE = '/api/v1/park/logistics'
export const BASELINE_MIN = 1
export const BASELINE_MAX = 365

export function getShipments(api) {
  return api.get(BASE, { quiet: true })
}

export function getBaseline(api) {
  return api.get(`${BASE}/baseline`, { quiet: true })
}

export function putBaseline(api, days) {
  return api.request('PUT', `${BASE}/baseline`, { body: { baseline_days: days } })
}

// Only the park admin changes the park-wide baseline (park.data.write with
// scope "any"; an enterprise user's own scope does not reach it).
export function baselineEditable(user) {
  return !!user && user.role === 'park_admin'
}

// null when v is a whole number of days the daemon accepts, else the i18n
// key of the reason (checked before the round trip; the daemon re-checks).
export function baselineError(v) {
  if (typeof v !== 'number' || !Number.isInteger(v)) return 'parkLogistics.errWhole'
  if (v < BASELINE_MIN || v > BASELINE_MAX) return 'parkLogistics.errRange'
  return null
}

// "2025-03-01T00:00:00.000Z" -> "2025-03-01" in Beijing time (the park's
// day), "" for anything else.
export function beijingDay(iso) {
  const ms = Date.parse(iso)
  if (typeof iso !== 'string' || Number.isNaN(ms)) return ''
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

// Table rows, oldest declaration first; saved is baseline - days (negative:
// slower than before the linked ports), taken from the daemon when present.
export function shipmentRows(lg) {
  const base = Number(lg?.baseline_days)
  return (lg?.shipments || [])
    .map((s) => ({
      id: s.id,
      enterprise: s.enterprise_name || s.enterprise_id || '',
      port: s.port || '',
      plant: s.plant || '',
      declared: beijingDay(s.declared_at),
      received: beijingDay(s.received_at),
      days: Number(s.days),
      saved: typeof s.saved_days === 'number' ? s.saved_days
        : Math.round((base - Number(s.days)) * 100) / 100,
      sortKey: s.declared_at || '',
    }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
}

// The ECharts option: one bar per shipment (its days) and the baseline as
// a dashed line, so each bar's gap to the line is the days saved.
export function shipmentChart(lg, { daysLabel, baselineLabel }) {
  const rows = shipmentRows(lg)
  const base = Number(lg?.baseline_days)
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [daysLabel, baselineLabel] },
    grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: rows.map((r) => r.declared), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', min: 0, max: Number.isFinite(base) ? Math.max(base, ...rows.map((r) => r.days)) : undefined },
    series: [
      { name: daysLabel, type: 'bar', data: rows.map((r) => r.days), itemStyle: { color: '#409eff' } },
      {
        name: baselineLabel, type: 'line', data: rows.map(() => (Number.isFinite(base) ? base : null)),
        symbol: 'none', lineStyle: { type: 'dashed', color: '#f56c6c' }, itemStyle: { color: '#f56c6c' },
      },
    ],
  }
}
