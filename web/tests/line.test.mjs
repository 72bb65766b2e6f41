// line.test.mjs - the control room: the pure tile rules in src/api/line.js
// as tables, and in real headless Chromium against `parkline serve --demo
// --mqtt` on a real mosquitto (own config in a temp dir, free loopback
// port): `parkline simulate line` publishes the two demo lines running
// (NBIRTH, NDATA, NDEATH on exit), the filling line's tile shows 运行 in
// green; a second run forces the filling line down and its tile turns red
// (故障停机) and is flagged stale after the NDEATH; its drawer draws the
// speed trend; the English switch says "Down". Line-live: the page is
// live over SSE (no polling), the fault raises the demo rule 产线停机 and
// its row appears in the alarm list, where acknowledging it in the UI
// turns it 已确认; the live helpers (tileMerge, pct, alarm rules,
// liveStream's reconnect) are tables too. Every wait is on a
// selector, a process exit or a retained MQTT message, never on time.
// Screenshots: docs/screenshots/control-room.png, control-room-trend.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  DEFAULT_TREND, SERIES_MINUTE_MAX_MINUTES, SERIES_RAW_MAX_MINUTES, STATE_CODES, TREND_RANGES, alarmActions, alarmTag, liveStream, pct, seriesData, seriesQuery, stateName,
  stateTag, tileFrom, tileMerge, shiftParetos, newerReport,
} from '../src/api/line.js'
import { REPO } from './daemon.mjs'
import { openBrowserSuite, WAIT_MS } from './ui.mjs'

test('stateName maps the simulator state codes and nothing else', () => {
  const cases = [
    [1, 'running'], [2, 'idle'], [3, 'down'], [4, 'blocked'], [5, 'starved'],
    [0, 'unknown'], [6, 'unknown'], [-1, 'unknown'], [1.5, 'unknown'], [null, 'unknown'], ['1', 'unknown'],
  ]
  for (const [code, want] of cases) assert.equal(stateName(code), want, String(code))
  assert.deepEqual(Object.values(STATE_CODES), ['running', 'idle', 'down', 'blocked', 'starved'])
})

test('stateTag colours: running green, idle grey, down red, blocked/starved orange', () => {
  const cases = [
    ['running', 'success'], ['idle', 'info'], ['down', 'danger'], ['blocked', 'warning'],
    ['starved', 'warning'], ['unknown', 'info'], ['bogus', 'info'],
  ]
  for (const [s, want] of cases) assert.equal(stateTag(s), want, s)
})

test('tileFrom builds a tile from a /metrics answer', () => {
  const line = { id: 'L1', name: 'Fill 1' }
  const m = (metric, value, stale = false, t = '2026-11-25T10:00:00.000Z') => ({ metric, unit: null, t, value, stale })
  const cases = [
    [null, { state: 'unknown', tag: 'info', speed: null, good: null, stale: true, t: null }],
    [{ items: [] }, { state: 'unknown', stale: true }],
    [{ items: [m('state', 1), m('speed', 118.5), m('good', 40), m('reject', 1), m('temperature', 50.2, false, '2026-11-25T10:00:01.000Z')] },
      { state: 'running', tag: 'success', speed: 118.5, good: 40, reject: 1, temperature: 50.2, stale: false, t: '2026-11-25T10:00:01.000Z' }],
    [{ items: [m('state', 3, true), m('speed', 0, true)] }, { state: 'down', tag: 'danger', speed: 0, stale: true }],
    [{ items: [m('state', 4), m('vibration', 2, true)] }, { state: 'blocked', tag: 'warning', stale: false }],
    [{ items: [m('state', null), m('speed', null)] }, { state: 'unknown', speed: null }],
  ]
  for (const [answer, want] of cases) {
    const tile = tileFrom(line, answer)
    assert.equal(tile.id, 'L1')
    for (const [k, v] of Object.entries(want)) assert.deepEqual(tile[k], v, `${JSON.stringify(answer)} ${k}`)
  }
  assert.deepEqual(tileFrom(line, { items: [m('b', 1), m('a', 2)] }).metrics, ['b', 'a'])
  assert.equal(DEFAULT_TREND, 'speed')
})

test('seriesData keeps time order and turns non-numbers into gaps', () => {
  const cases = [
    [null, []],
    [{ points: [] }, []],
    [{ points: [[1, 2], [2, null], [3, 4.5]] }, [[1, 2], [2, null], [3, 4.5]]],
    [{ points: [['x', 1], [5, 'y'], 7] }, [[5, null]]],
    [{ step: '1m', buckets: [] }, []],
    [{ step: '1m', buckets: [{ t: 0, n: 2, avg: 1.5 }, { t: 60000, n: 0, avg: null }, { n: 1 }] }, [[0, 1.5], [60000, null]]],
  ]
  for (const [answer, want] of cases) assert.deepEqual(seriesData(answer), want, JSON.stringify(answer))
})

test('seriesQuery asks for points up to 6 h, 1-minute buckets up to the cap, 1-hour beyond', () => {
  const now = 1000000000000
  const cases = [
    [60, undefined],
    [SERIES_RAW_MAX_MINUTES, undefined],
    [SERIES_RAW_MAX_MINUTES + 1, '1m'],
    [24 * 60, '1m'],
    [SERIES_MINUTE_MAX_MINUTES, '1m'],
    [SERIES_MINUTE_MAX_MINUTES + 1, '1h'],
    [7 * 24 * 60, '1h'],
    [30 * 24 * 60, '1h'],
  ]
  for (const [minutes, step] of cases) {
    const q = seriesQuery('speed', minutes, now)
    assert.equal(q.step, step, `${minutes} min`)
    assert.equal(q.from, String(now - minutes * 60000))
    assert.equal(q.metric, 'speed')
  }
  // every range the picker offers stays inside the server's 10,000-bucket cap
  for (const minutes of TREND_RANGES) {
    const per = { undefined: 0, '1m': 1, '1h': 60 }[seriesQuery('speed', minutes, now).step]
    assert.ok(per === 0 || minutes / per + 1 <= 10000, `${minutes} min`)
  }
})

test('tileMerge takes the live event\'s figures and keeps the rest', () => {
  const base = tileFrom({ id: 'L1', name: 'Fill 1' }, { items: [{ metric: 'state', value: 1, stale: false, t: '2026-11-25T10:00:00.000Z' }, { metric: 'temperature', value: 50, stale: false, t: '2026-11-25T10:00:00.000Z' }] })
  const oee = { oee: 0.5, availability: 0.8 }
  const cases = [
    [null, { state: 'running', tag: 'success', temperature: 50 }],
    [{ state: 'down', speed: 0, alarms_active: 2, alarms_unack: 1, oee }, { state: 'down', tag: 'danger', speed: 0, alarmsActive: 2, alarmsUnack: 1, oee, temperature: 50 }],
    [{ state: 'bogus', stale: true }, { state: 'running', stale: true }],
    [{ good: '12', reject: 3, t: '2026-11-25T10:00:05.000Z' }, { good: null, reject: 3, t: '2026-11-25T10:00:05.000Z' }],
    [{ oee: null, temperature: null }, { oee: null, temperature: null, alarmsActive: 0 }],
  ]
  for (const [ev, want] of cases) {
    const tile = tileMerge(base, ev)
    assert.deepEqual(tile.metrics, ['state', 'temperature'])
    for (const [k, v] of Object.entries(want)) assert.deepEqual(tile[k], v, `${JSON.stringify(ev)} ${k}`)
  }
})

test('pct, alarm tags and the actions each ISA-18.2 state allows', () => {
  for (const [x, want] of [[0.5, '50.0%'], [1.234, '123.4%'], [0, '0.0%'], [null, '—'], [NaN, '—'], ['0.5', '—']]) assert.equal(pct(x), want, String(x))
  const cases = [
    ['unacknowledged', 'danger', ['ack', 'shelve']], ['returned_unacknowledged', 'info', ['ack', 'shelve']],
    ['acknowledged', 'warning', ['shelve']], ['shelved', 'info', ['unshelve']], ['normal', 'success', []], ['bogus', 'info', []],
  ]
  for (const [st, tag, acts] of cases) {
    assert.equal(alarmTag(st), tag, st)
    assert.deepEqual(alarmActions(st), acts, st)
  }
})

test('shiftParetos: reject reasons and downtime, largest first, with share and running share', () => {
  const p = shiftParetos({
    defect_rate: 0.02,
    reject_pareto: [{ reason: 'particle', count: 6 }, { reason: 'fill_low', count: 2 }, { reason: 'x', count: 0 }, { count: 3 }],
    downtime_pareto: [{ state: 'down', ms: 90000 }, { state: 'starved', ms: 30000 }, { state: 'idle', ms: 'x' }],
  })
  assert.deepEqual(p.rejects, [
    { key: 'particle', n: 6, share: 0.75, cum: 0.75 },
    { key: 'fill_low', n: 2, share: 0.25, cum: 1 },
  ])
  assert.deepEqual(p.downtime, [
    { key: 'down', ms: 90000, share: 0.75, cum: 0.75 },
    { key: 'starved', ms: 30000, share: 0.25, cum: 1 },
  ])
  assert.equal(p.defectRate, 0.02)
  assert.deepEqual(shiftParetos(null), { rejects: [], downtime: [], defectRate: null })
  const [a, b] = [{ to: '2026-11-26T08:00:01.000Z' }, { to: '2026-11-26T08:00:02.000Z' }]
  assert.equal(newerReport(a, b), b)
  assert.equal(newerReport(b, a), b)
  assert.equal(newerReport(null, a), a)
  assert.equal(newerReport(a, null), a)
  assert.equal(newerReport(null, 'x'), null)
  assert.deepEqual(shiftParetos({ reject_pareto: 'x', defect_rate: NaN }), { rejects: [], downtime: [], defectRate: null })
})

test('liveStream dispatches events and reopens a stream the browser closed', async () => {
  const made = []
  class FakeES {
    constructor(url) { this.url = url; this.readyState = 0; this.h = {}; made.push(this) }
    addEventListener(ev, fn) { this.h[ev] = fn }
    close() { this.readyState = 2; this.closed = true }
  }
  const got = []
  const close = liveStream({ open: () => got.push('open'), line: (d) => got.push(['line', d.line_id]), alarm: (d) => got.push(['alarm', d.event]) },
    { EventSourceImpl: FakeES, retryMs: 1 })
  const es = made[0]
  es.h.hello({ data: '{}' })
  es.h.line({ data: '{"line_id":"L1"}' })
  es.h.line({ data: 'not json' })
  es.h.alarm({ data: '{"event":"raised"}' })
  assert.deepEqual(got, ['open', ['line', 'L1'], ['alarm', 'raised']])
  es.readyState = 0 // a transient error: EventSource retries by itself
  es.onerror()
  assert.equal(made.length, 1)
  es.readyState = 2 // given up: we open a new stream
  es.onerror()
  await new Promise((resolve) => { const w = () => (made.length > 1 ? resolve() : setTimeout(w, 1)); w() })
  assert.equal(made[1].url, '/api/v1/live')
  close()
  assert.equal(made[1].closed, true)
})

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

// A child process whose output is collected; exited resolves with its code.
function run(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const r = { p, out: '' }
  p.stdout.on('data', (d) => { r.out += d })
  p.stderr.on('data', (d) => { r.out += d })
  r.exited = new Promise((resolve) => p.on('exit', (code, sig) => resolve(code ?? sig)))
  return r
}

// Resolves once the broker accepts a TCP connection (bounded by WAIT_MS).
async function listening(port) {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.on('connect', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`mosquitto not listening on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const haveMosquitto = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].some((p) => fs.existsSync(p))

describe('control room', { skip: haveMosquitto ? false : 'mosquitto is not installed' }, () => {
  const broker = { port: 0, tmp: null, proc: null }
  // Registered before the suite's hooks, so the broker is up when the daemon starts.
  before(async () => {
    broker.port = await freePort()
    broker.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-line-web-'))
    const conf = path.join(broker.tmp, 'mosquitto.conf')
    // `user root`: as root mosquitto would otherwise drop to the mosquitto user.
    fs.writeFileSync(conf, `listener ${broker.port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser ${os.userInfo().username}\n`)
    broker.proc = run('mosquitto', ['-c', conf])
    await listening(broker.port)
  })
  const mqttUrl = () => `mqtt://127.0.0.1:${broker.port}`
  const { openPage, login, track } = openBrowserSuite({ before, after, daemonArgs: () => ['--mqtt', mqttUrl()] })
  after(async () => {
    if (broker.proc && broker.proc.p.exitCode === null) {
      broker.proc.p.kill('SIGTERM')
      await broker.proc.exited
    }
    if (broker.tmp) fs.rmSync(broker.tmp, { recursive: true, force: true })
  })

  const bin = path.join(REPO, process.env.BUILD || 'build', 'parkline')
  async function simulate(extra) {
    const r = run(bin, ['simulate', 'line', '--mqtt', mqttUrl(), '--lines', '2', '--rate', '20', '--seed', '7', ...extra])
    const code = await r.exited
    assert.equal(code, 0, `simulate line ${extra.join(' ')}:\n${r.out}`)
    return r.out
  }

  test('a fault published over MQTT turns the line tile red', track(async (t) => {
    // The daemon's host STATE birth is retained: once it is there, the
    // ingest has subscribed and the simulator's NBIRTH will be seen.
    const state = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', 'spBv1.0/STATE/parkline', '-C', '1', '-W', String(WAIT_MS / 1000)])
    assert.equal(await state.exited, 0, `no STATE from the daemon: ${state.out}`)
    assert.match(state.out, /"online":true/)

    const out = await simulate(['--count', '5'])
    assert.match(out, /fill-1 sent 5 NDATA/)

    const { page, errors } = await openPage(t)
    await login(page, 'admin')
    await page.goto('/line')
    const fill = page.locator('[data-test=line-tile]', { hasText: '灌装线 1' })
    await fill.and(page.locator('[data-state=running]')).waitFor()
    assert.equal(await fill.locator('[data-test=line-state]').innerText(), '运行')
    assert.match(await fill.locator('[data-test=line-state]').getAttribute('class'), /el-tag--success/)
    assert.notEqual(await fill.locator('[data-test=line-speed]').innerText(), '—')
    // 5 ticks at 20/s are 0.25 s of a 120 units/min line: under one unit.
    // The counters start at 0 (simulate_line.c NOTES 4), so that is all
    // the tile counts.
    assert.ok(Number(await fill.locator('[data-test=line-good]').innerText()) <= 1,
      'good count of a 0.25 s session')
    await page.locator('[data-test=line-tile]', { hasText: '包装线 1' }).waitFor()

    // Second session: the filling line is down from its first NDATA on.
    await simulate(['--count', '5', '--fault-at', '1'])
    await fill.and(page.locator('[data-state=down][data-stale=true]')).waitFor()
    const tag = fill.locator('[data-test=line-state]')
    assert.equal(await tag.innerText(), '故障停机')
    assert.match(await tag.getAttribute('class'), /el-tag--danger/)
    assert.equal(await fill.locator('[data-test=line-speed]').innerText(), '0')
    // Its counters start again at 0 (a PLC after power-on), so OEE counts
    // only what it made since the restart, not a start value.
    assert.ok(Number(await fill.locator('[data-test=line-good]').innerText()) <= 1,
      'good count after the restart')
    // live over SSE every transition shows: the tag of the first session's
    // NDEATH may still be fading out while this one fades in
    await fill.locator('[data-test=line-stale]').last().waitFor()
    // line-live: pushed over SSE, and the fault raised the demo rule 产线停机
    await page.locator('[data-test=line-live][data-live=true]').waitFor()
    await fill.locator('[data-test=line-alarms]:not([data-count="0"])').waitFor()
    const row = page.locator('.el-table__row', { hasText: '灌装线 1' }).filter({ hasText: '产线停机' })
    await row.locator('[data-test=alarm-state]', { hasText: '未确认' }).waitFor()
    await page.screenshot({ path: path.join(REPO, 'docs/screenshots/control-room.png'), fullPage: true })
    await row.locator('[data-test=alarm-ack]').click()
    await row.locator('[data-test=alarm-state]', { hasText: '已确认' }).waitFor()
    assert.equal(await row.locator('[data-test=alarm-ack]').count(), 0, 'no acknowledge button once acknowledged')

    // Drill down: the speed trend is drawn with points from both sessions.
    await fill.click()
    const trend = page.locator('[data-test=line-trend][data-rendered=true]')
    await trend.waitFor()
    const drawn = Number(await trend.getAttribute('data-points'))
    assert.ok(drawn >= 10, `trend has the published points (${drawn})`)
    // under the trend, this shift's downtime Pareto holds the fault
    const downtime = page.locator('[data-test=line-downtime-pareto]')
    await downtime.locator('tr', { hasText: '故障停机' }).waitFor()
    await page.locator('[data-test=line-defect-rate]', { hasText: '次品率' }).waitFor()
    await page.screenshot({ path: path.join(REPO, 'docs/screenshots/control-room-trend.png') })
    // The range picker: 24 h is drawn from the stored 1-minute rollups
    // (the points just published are in at least one bucket), 30 days
    // from the 1-hour ones.
    for (const [minutes, step] of [[1440, '1m'], [43200, '1h']]) {
      await page.locator(`[data-test=line-range-${minutes}]`).click()
      const ranged = page.locator(`[data-test=line-trend][data-minutes="${minutes}"][data-rendered=true]`)
      await ranged.waitFor()
      assert.equal(await ranged.getAttribute('data-step'), step)
      assert.ok(Number(await ranged.getAttribute('data-points')) >= 1, `${minutes} min: buckets drawn`)
    }
    await page.keyboard.press('Escape')
    await page.locator('[data-test=line-trend]').waitFor({ state: 'detached' })

    await page.locator('[data-test=lang-en]').click()
    await page.locator('[data-test=line-tile][data-state=down] [data-test=line-state]', { hasText: 'Down' }).waitFor()
    await page.locator('[data-test=lang-zh]').click()
    assert.deepEqual(errors, [])
  }))

  test('an enterprise user of another enterprise sees no lines', track(async (t) => {
    const { page } = await openPage(t)
    await login(page, 'ent2')
    await page.goto('/line')
    await page.locator('[data-test=line-empty]').waitFor()
    assert.equal(await page.locator('[data-test=line-tile]').count(), 0)
  }))
})
