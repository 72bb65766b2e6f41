// api/plant.js - the ISA-95 plant model page (工厂模型, docs/line.md "Plant
// model"): site -> area -> line -> machine/station, each line's plan
// (product, ideal cycle time, shifts with planned stops) and the products.
//   GET /api/v1/plant -> {items: [{enterprise_id, name, sites: [{id, code,
//       name, address, areas: [{id, code, name, lines: [{id, name, plan,
//       machines: [...]}]}]}], unassigned_lines, products}]}
//   GET /api/v1/lines/{id}/plan -> the plan in force and its versions
//       [{valid_from (ms; 0: since always), product, ideal_cycle_ms}]
// The pure helpers below are tested in node (web/tests/plant.test.mjs); the
// daemon decides what the caller may see.

export function getPlant(api) {
  return api.get('/api/v1/plant', { quiet: true })
}

export function getPlan(api, lineId) {
  return api.get(`/api/v1/lines/${encodeURIComponent(lineId)}/plan`, { quiet: true })
}

// One row per plan version, newest first as the daemon lists them: since
// (null for "since always", else epoch ms), product, ideal cycle time and
// whether it is the one in force now (the first).
export function versionRows(plan) {
  const v = Array.isArray(plan?.versions) ? plan.versions : []
  return v.map((x, i) => ({
    since: Number.isInteger(x.valid_from) && x.valid_from > 0 ? x.valid_from : null,
    product: x.product,
    ideal_cycle_ms: x.ideal_cycle_ms,
    current: i === 0,
  }))
}

// The tree for ElTree: one node per enterprise (only when the caller sees
// several), site, area, line and machine; key "<kind>:<id>", label, kind and
// the object itself. Lines not in an area hang under their enterprise (or
// at the top), after its sites. Machines keep the daemon's line order.
export function plantTree(answer) {
  const items = Array.isArray(answer?.items) ? answer.items : []
  const line = (l) => ({
    key: `line:${l.id}`, kind: 'line', label: l.name, obj: l,
    children: (l.machines || []).map((m) => ({ key: `machine:${m.id}`, kind: 'machine', label: `${m.name}`, obj: m, children: [] })),
  })
  const ent = (e) => [
    ...(e.sites || []).map((s) => ({
      key: `site:${s.id}`, kind: 'site', label: s.name, obj: s,
      children: (s.areas || []).map((a) => ({
        key: `area:${a.id}`, kind: 'area', label: a.name, obj: a, children: (a.lines || []).map(line),
      })),
    })),
    ...(e.unassigned_lines || []).map(line),
  ]
  if (items.length === 1) return ent(items[0])
  return items.map((e) => ({ key: `enterprise:${e.enterprise_id}`, kind: 'enterprise', label: e.name, obj: e, children: ent(e) }))
}

// "08:00" from minutes after local midnight (wrapping past 24 h).
export function clock(min) {
  if (!Number.isInteger(min)) return '—'
  const m = ((min % 1440) + 1440) % 1440
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

// One row per shift of a plan's calendar: name, start-end in local time,
// planned stops as "12:00-12:30" and the planned busy minutes (length less
// stops), which is what OEE divides by.
export function shiftRows(plan) {
  const shifts = plan?.calendar?.shifts
  if (!Array.isArray(shifts)) return []
  return shifts.map((s) => {
    const stops = Array.isArray(s.stops) ? s.stops : []
    const stopMin = stops.reduce((n, p) => n + (Number.isInteger(p.length_min) ? p.length_min : 0), 0)
    return {
      name: s.name,
      span: `${clock(s.start_min)}–${clock(s.start_min + s.length_min)}`,
      stops: stops.map((p) => `${clock(s.start_min + p.offset_min)}–${clock(s.start_min + p.offset_min + p.length_min)}`),
      planned: s.length_min - stopMin,
    }
  })
}

// Units per hour at the ideal cycle time (the performance reference).
export function idealRate(cycleMs) {
  return typeof cycleMs === 'number' && cycleMs > 0 ? Math.round(3600000 / cycleMs) : null
}

// The products of every visible enterprise, by name.
export function productRows(answer) {
  const items = Array.isArray(answer?.items) ? answer.items : []
  return items.flatMap((e) => (e.products || []).map((p) => ({ ...p, enterprise: e.name })))
}
