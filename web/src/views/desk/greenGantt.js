// greenGantt.js - the pure half of the green channel's Gantt chart
// (GreenGantt.vue): the park's working calendar, working-day arithmetic in
// Beijing days, the planned and actual span of every step, and the ECharts
// option that draws them. No Vue and no ECharts import, so
// tests/desk-ui.test.mjs checks it in node.
//
// Why the browser needs the calendar at all: the daemon measures every
// figure (actual, statutory and saved working days; docs/desk.md section 8)
// but sends times, not the dates a statutory limit ends on. To draw a
// statutory span on a time axis the page turns "20 working days after
// 受理" into a date with the same rules as src/desk/calendar.c: the first
// day is not counted (行政许可法 Art. 82), holidays and make-up working days
// come from data/calendar/YYYY.txt (bundled by calendarData.js), and a year
// without a file falls back to Monday-Friday; such a span is flagged
// `approx` so the tooltip says so. The day counts shown as numbers are
// always the daemon's.
//
// The plan ("法定时限串联") is the chain the statute allows when nothing is
// run in parallel: step 1 starts at the first 受理 (the project's start
// before that) and each later step starts on the day the one before it
// would end at the latest. That is the "half a year" the park compares its
// "one month" with. Each step's own statutory deadline, counted from its
// real 受理, is given too (the tooltip shows it).

const DAY_MS = 86400000
const BEIJING_MS = 8 * 3600000
// Longest statutory limit added in one call; the daemon caps a step at 366
// working days (DESK_WORKDAYS_MAX), so this bounds the day loop.
const MAX_WORKDAYS = 366

// Beijing day number (days since 1970-01-01 in UTC+8) of a time in ms.
export function dayOf(ms) {
  return Math.floor((ms + BEIJING_MS) / DAY_MS)
}

// 00:00 Beijing of day, as UTC ms.
export function dayStart(day) {
  return day * DAY_MS - BEIJING_MS
}

// Day number of 'YYYY-MM-DD', or null when it is not a real date.
export function dayOfYmd(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return null
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const d = new Date(t)
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null
  return t / DAY_MS
}

// Parses the calendar files' text (docs/desk.md section 3) into
// { years:Set, holidays:Set(day), workdays:Set(day) }. Lines other than
// `year`, `holiday D[..D]` and `workday D` (comments, `source`) are
// skipped: the daemon has validated the same files strictly at start-up,
// and a page must not break over a comment.
export function parseCalendar(texts) {
  const cal = { years: new Set(), holidays: new Set(), workdays: new Set() }
  for (const text of texts) {
    for (const raw of String(text).split(/\r?\n/)) {
      const line = raw.trim()
      let m
      if ((m = /^year\s+(\d{4})\b/.exec(line))) {
        cal.years.add(Number(m[1]))
      } else if ((m = /^holiday\s+(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?/.exec(line))) {
        const a = dayOfYmd(m[1])
        const b = m[2] ? dayOfYmd(m[2]) : a
        if (a === null || b === null || b < a || b - a > 366) continue
        for (let d = a; d <= b; d++) cal.holidays.add(d)
      } else if ((m = /^workday\s+(\d{4}-\d{2}-\d{2})/.exec(line))) {
        const d = dayOfYmd(m[1])
        if (d !== null) cal.workdays.add(d)
      }
    }
  }
  return cal
}

function yearOfDay(day) {
  return new Date(day * DAY_MS).getUTCFullYear()
}

// { work, known }: whether day is a working day, and whether the calendar
// has the day's year (else Monday-Friday was assumed).
export function isWorkday(cal, day) {
  const known = cal.years.has(yearOfDay(day))
  if (cal.workdays.has(day)) return { work: true, known }
  if (cal.holidays.has(day)) return { work: false, known }
  const wd = (((day + 4) % 7) + 7) % 7 // 1970-01-01 was a Thursday; 0 Sunday
  return { work: wd >= 1 && wd <= 5, known }
}

// Working days in (from, to], as desk_calendar_workdays_between counts
// them. { days, approx }.
export function workdaysBetween(cal, from, to) {
  let days = 0
  let approx = false
  for (let d = from + 1; d <= to && d - from <= 4 * MAX_WORKDAYS; d++) {
    const w = isWorkday(cal, d)
    approx ||= !w.known
    if (w.work) days++
  }
  return { days, approx }
}

// The day on which the n-th working day after `from` falls (from itself not
// counted); n <= 0 gives from. { day, approx }.
export function addWorkdays(cal, from, n) {
  let left = Math.min(Math.max(0, Math.floor(n)), MAX_WORKDAYS)
  let d = from
  let approx = false
  while (left > 0) {
    d++
    const w = isWorkday(cal, d)
    approx ||= !w.known
    if (w.work) left--
  }
  return { day: d, approx }
}

function ms(v) {
  const t = typeof v === 'string' ? Date.parse(v) : NaN
  return Number.isFinite(t) ? t : null
}

// The rows of the chart for a project as GET /green-projects/{id} returns
// it, at time now (ms). Each row:
//   { seq, name, department, statutory, actual, saved, over, status
//     ('done'|'running'|'waiting'), plan:[startMs, endMs], actualSpan:
//     [startMs, endMs]|null, deadline: ms of its own statutory deadline from
//     its 受理 | null, approx }
// plus { planEnd, actualEnd, approx } for the whole project.
export function ganttRows(project, cal, now = Date.now()) {
  const steps = Array.isArray(project?.steps) ? project.steps : []
  const first = steps.map((s) => ms(s.started_at)).find((t) => t !== null)
  const origin = first ?? ms(project?.started_at) ?? now
  let day = dayOf(origin)
  let approx = false
  let actualEnd = null
  const rows = steps.map((s, i) => {
    const planStart = i === 0 ? origin : dayStart(day)
    const next = addWorkdays(cal, day, s.statutory_days)
    approx ||= next.approx
    day = next.day
    const started = ms(s.started_at)
    const finished = ms(s.finished_at)
    let deadline = null
    let rowApprox = next.approx
    if (started !== null) {
      const own = addWorkdays(cal, dayOf(started), s.statutory_days)
      deadline = dayStart(own.day + 1)
      rowApprox ||= own.approx
    }
    const end = finished ?? (started !== null ? Math.max(now, started) : null)
    if (end !== null) actualEnd = actualEnd === null ? end : Math.max(actualEnd, end)
    return {
      seq: s.seq,
      name: s.name,
      department: s.department,
      statutory: s.statutory_days,
      actual: s.actual_days ?? null,
      saved: s.saved_days ?? null,
      over: !!s.over_statutory,
      status: finished !== null ? 'done' : started !== null ? 'running' : 'waiting',
      plan: [planStart, dayStart(day + 1)],
      actualSpan: started !== null ? [started, end] : null,
      deadline,
      approx: rowApprox,
    }
  })
  return { rows, planEnd: rows.length ? rows[rows.length - 1].plan[1] : origin, actualEnd, approx }
}

// Text for the HTML tooltip.
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
}

// Bar colours: the plan grey, done green (red when over the statute),
// running blue.
export const GANTT_COLORS = { plan: '#c0c4cc', done: '#2da44e', over: '#d1242f', running: '#409eff' }

// The ECharts option for ganttRows' result. labels: the page's words
// ({ plan, actual, now, tooltip(row) -> html-free text lines }); fmtDate:
// ms -> date text. Steps run top to bottom; each has a thin plan bar above
// its actual bar. The chart is drawn with a custom series (registered in
// charts/echarts.js) and described for screen readers by ECharts' aria.
export function ganttOption(g, labels, fmtDate, now = Date.now()) {
  const names = g.rows.map((r) => `${r.seq}. ${r.name}`)
  const data = []
  g.rows.forEach((r, i) => {
    data.push({ value: [i, r.plan[0], r.plan[1], 0], itemStyle: { color: GANTT_COLORS.plan } })
    if (r.actualSpan) {
      const color = r.status === 'running' ? GANTT_COLORS.running : r.over ? GANTT_COLORS.over : GANTT_COLORS.done
      data.push({ value: [i, r.actualSpan[0], r.actualSpan[1], 1], itemStyle: { color } })
    }
  })
  const running = g.rows.some((r) => r.status === 'running')
  return {
    aria: { enabled: true, label: { description: labels.aria } },
    animation: false,
    tooltip: {
      trigger: 'item',
      // step names and departments are typed in by people: escaped, since
      // the tooltip is HTML
      formatter: (p) => labels.tooltip(g.rows[p.value[0]], p.value[3] === 1).map(escapeHtml).join('<br/>'),
    },
    legend: {
      top: 0,
      data: [
        { name: labels.plan, itemStyle: { color: GANTT_COLORS.plan } },
        { name: labels.actual, itemStyle: { color: GANTT_COLORS.done } },
      ],
      selectedMode: false,
    },
    grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
    xAxis: {
      type: 'time',
      min: Math.min(g.rows[0]?.plan[0] ?? now, now),
      max: Math.max(g.planEnd, g.actualEnd ?? 0),
      axisLabel: { formatter: (v) => fmtDate(v), hideOverlap: true },
      splitLine: { show: true, lineStyle: { type: 'dashed' } },
    },
    yAxis: { type: 'category', data: names, inverse: true, axisTick: { show: false } },
    series: [
      {
        // two legend entries share this one custom series: the plan and the
        // actual bars are told apart by value[3]
        name: labels.plan,
        type: 'custom',
        encode: { x: [1, 2], y: 0 },
        data,
        renderItem: (params, api) => {
          const idx = api.value(0)
          const a = api.coord([api.value(1), idx])
          const b = api.coord([api.value(2), idx])
          const band = api.size([0, 1])[1]
          const actual = api.value(3) === 1
          const h = actual ? band * 0.42 : band * 0.22
          const y = actual ? a[1] - band * 0.02 : a[1] - band * 0.32
          return {
            type: 'rect',
            shape: { x: a[0], y, width: Math.max(b[0] - a[0], 2), height: h },
            style: api.style(),
          }
        },
        markLine: running ? {
          silent: true,
          symbol: 'none',
          label: { formatter: labels.now },
          lineStyle: { color: GANTT_COLORS.running, type: 'dotted' },
          data: [{ xAxis: now }],
        } : undefined,
      },
      // an empty series so the legend shows the actual bars' colour
      { name: labels.actual, type: 'custom', data: [], renderItem: () => null },
    ],
  }
}
