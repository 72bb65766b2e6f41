// api/line.js - the control room's calls to the daemon and the pure rules
// behind its tiles: which state a line is in, its tag colour, and the tile
// built from a /metrics answer. Pure helpers take plain values;
// tests/line.test.mjs checks them in node.
//
// Contract (docs/line.md, src/http/api_line.c):
//   GET /api/v1/lines -> {items: [{id, enterprise_id, name, sp_group, sp_node, created_at}]}
//   GET /api/v1/lines/{id}/metrics -> {line_id, items: [{metric, unit, t, value, stale}]}
//   GET /api/v1/lines/{id}/series?metric=&from=&to= -> {points: [[t_ms, value]], ...}
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
export function seriesData(answer) {
  const pts = answer && Array.isArray(answer.points) ? answer.points : []
  return pts.filter((p) => Array.isArray(p) && typeof p[0] === 'number')
    .map((p) => [p[0], typeof p[1] === 'number' ? p[1] : null])
}

export function listLines(api) {
  return api.get('/api/v1/lines', { quiet: true })
}

export function lineMetrics(api, id) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/metrics`, { quiet: true })
}

// The last `minutes` of one metric.
export function lineSeries(api, id, metric, minutes = 60, now = Date.now()) {
  return api.get(`/api/v1/lines/${encodeURIComponent(id)}/series`, {
    query: { metric, from: String(now - minutes * 60000), to: String(now + 1000) },
  })
}
