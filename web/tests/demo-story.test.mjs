// demo-story.test.mjs - the `make run` story in real headless Chromium
// (issue 7 item 6): the demo exactly as `make run` starts it
// (scripts/run-demo.sh: `parkline serve --demo` on SQLite, a private
// mosquitto when installed else HTTP ingest, `simulate line`, `simulate
// desk`, the vial renderer and the `inspect run` node), in a temp dir on a
// free loopback port, then, logged in through the login form with the
// accounts the script printed:
//   1. the desk moves: the park admin watches the queue (the newest
//      requests of the park); when the live feed (/api/v1/live) reports an
//      action (签收, 办理, 办结, 评价...) on one of the requests on screen, the
//      refreshed queue shows that request in a new state. (Not a
//      specialist: the simulator reassigns enterprises between the two demo
//      specialists, so one specialist's queue can stand still for minutes);
//   2. the control room is live: the units counted on the line tiles rise
//      (server-sent events, no reload);
//   3. a reject of the inspection node: its EPCIS event, the vial traced in
//      the trace page with 检验 / 不合格, and the node's overlay image of the
//      reject (the file the event references) opened in Chromium;
//   4. a demo vial traced back through its tray and batch to the raw lot;
//   5. the park dashboard shows the article's figures.
// Every wait is for a condition with a bound (the live feed, a selector, a
// counter, an API answer polled once a second); nothing sleeps a fixed
// time before looking. Screenshots: docs/screenshots/demo-*.png.
// tests/steps/90-demo.sh runs it; alone: `cd web && node --test
// tests/demo-story.test.mjs` after `make` and scripts/web-build.sh.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { REPO } from './daemon.mjs'
import { PASSWORD, openBrowserSuite } from './ui.mjs'
import { gs1CheckDigit } from '../src/api/trace.js'

const READY_MS = 120000   // run-demo.sh itself waits up to 120 s for serve
const LIVE_MS = 90000     // the simulators act every few seconds; this bounds a missed beat
const PAGE_MS = 60000     // one wait of a page (see open() below)
const STOP_MS = 30000     // serve drains 10 s, a simulator's HTTP call 10 s
const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

// Polls fn (async, truthy = done) once a second until it is done or ms
// pass; returns its value or throws with the last answer.
async function until(what, fn, ms = LIVE_MS) {
  const end = Date.now() + ms
  let last
  for (;;) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) { last = e }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${last && last.stack ? last.stack : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

// The accounts block serve --demo prints ("Demo accounts (password for
// all: P):" then "  username role enterprise"): {password, users:{name: role}}.
function parseAccounts(log) {
  const lines = log.split('\n')
  const i = lines.findIndex((l) => /^Demo accounts \(password for all: .+\):/.test(l))
  if (i < 0) return null
  const password = /password for all: (.+)\):/.exec(lines[i])[1]
  const users = {}
  for (const l of lines.slice(i + 2)) {
    const m = /^ {2}(\S+)\s+(\S+)/.exec(l)
    if (!m) break
    users[m[1]] = m[2]
  }
  return { password, users }
}

describe('the make run story in Chromium', () => {
  const demo = { child: null, done: null, url: null, var: null, log: () => '', exited: null }
  let savedUrl

  // Registered before openBrowserSuite's hook, so the suite's startDaemon
  // finds PARKLINE_WEB_URL and uses this demo instead of its own serve.
  before(async () => {
    demo.var = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-story-'))
    const port = await freePort()
    demo.url = `http://127.0.0.1:${port}`
    const logPath = path.join(demo.var, 'run-demo.log')
    const fd = fs.openSync(logPath, 'a')
    // detached: its own session, so the stop below can find what is left
    demo.child = spawn('bash', [path.join(REPO, 'scripts', 'run-demo.sh')], {
      cwd: REPO, detached: true, stdio: ['ignore', fd, fd],
      env: { ...process.env, PARKLINE_LISTEN: `127.0.0.1:${port}`, PARKLINE_VAR: demo.var,
        PARKLINE_DB: path.join(demo.var, 'parkline.db') },
    })
    fs.closeSync(fd)
    demo.done = new Promise((resolve) => demo.child.on('exit', (code, signal) => {
      demo.exited = { code, signal }
      resolve()
    }))
    demo.log = () => { try { return fs.readFileSync(logPath, 'utf8') } catch { return '' } }
    const t0 = Date.now()
    await until('run-demo.sh answers /readyz', async () => {
      if (demo.exited) throw new Error(`run-demo.sh exited ${JSON.stringify(demo.exited)}:\n${demo.log()}`)
      return (await fetch(`${demo.url}/readyz`)).status === 200
    }, READY_MS)
    process.stderr.write(`# demo ready in ${Date.now() - t0} ms\n`)
    savedUrl = process.env.PARKLINE_WEB_URL
    process.env.PARKLINE_WEB_URL = demo.url
  })
  const ui = openBrowserSuite({ before, after })
  // A page whose single waits may take PAGE_MS: the demo's simulators, the
  // vial renderer and the node share the machine with the browser, and on a
  // loaded 2-core box one page load has taken more than ui.mjs's 20 s.
  async function open(t) {
    const p = await ui.openPage(t)
    p.page.setDefaultTimeout(PAGE_MS)
    return p
  }

  after(async () => {
    if (savedUrl === undefined) delete process.env.PARKLINE_WEB_URL
    else process.env.PARKLINE_WEB_URL = savedUrl
    if (!demo.child) return
    if (!demo.exited) {
      demo.child.kill('SIGTERM')
      let timer
      await Promise.race([demo.done, new Promise((r) => { timer = setTimeout(r, STOP_MS) })])
      clearTimeout(timer)
    }
    // whatever is left of its session (nothing, when the script's traps worked)
    try { process.kill(-demo.child.pid, 'SIGKILL') } catch { /* none left */ }
    if (process.env.PARKLINE_KEEP_TMP) process.stderr.write(`demo temp dir kept: ${demo.var}\n`)
    else fs.rmSync(demo.var, { recursive: true, force: true })
    assert.deepEqual(demo.exited, { code: 143, signal: null }, 'run-demo.sh exits 143 on SIGTERM')
  })

  test('the printed demo accounts', () => {
    const acc = parseAccounts(demo.log())
    assert.ok(acc, `no accounts block in:\n${demo.log().slice(0, 2000)}`)
    assert.equal(acc.password, PASSWORD)
    for (const [u, role] of [['admin', 'park_admin'], ['specialist1', 'specialist'], ['ent1', 'enterprise'], ['auditor', 'auditor']])
      assert.equal(acc.users[u], role, `${u} printed as ${role}`)
  })

  test('a request moves through the desk while the park admin watches', ui.track(async (t) => {
    const { page, errors } = await open(t)
    await ui.login(page, 'admin')
    await page.goto('/desk')
    const rows = page.locator('[data-test=desk-table] .el-table__body tr')
    await rows.first().waitFor()
    // the requests on screen and their states, as the queue shows them
    const seen = await page.$$eval('[data-test=desk-table] .el-table__body tr', (trs) => trs.map((tr) => ({
      id: (tr.querySelector('[data-test^=req-]:not([data-test=req-state])')?.getAttribute('data-test') || '').slice(4),
      state: tr.querySelector('[data-test=req-state]')?.textContent.trim(),
    })).filter((r) => r.id))
    assert.ok(seen.length > 0, 'the queue shows requests')
    await page.screenshot({ path: shot('demo-desk-before.png') })
    // the live feed names the next action on one of them (bounded)
    const ev = await page.evaluate(({ ids, ms }) => new Promise((resolve, reject) => {
      const es = new EventSource('/api/v1/live')
      const timer = setTimeout(() => { es.close(); reject(new Error(`no desk action on ${ids.length} requests in ${ms} ms`)) }, ms)
      es.addEventListener('audit', (m) => {
        const a = JSON.parse(m.data)
        if (a.entity === 'request' && ids.includes(a.entity_id) && /^desk\.request\.(?!create)/.test(a.action)) {
          clearTimeout(timer); es.close(); resolve(a)
        }
      })
    }), { ids: seen.map((r) => r.id), ms: LIVE_MS })
    const before = seen.find((r) => r.id === ev.entity_id).state
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/desk/requests') && r.request().method() === 'GET' && r.status() === 200),
      page.locator('[data-test=desk-search]').click(),
    ])
    const row = rows.filter({ has: page.locator(`[data-test="req-${ev.entity_id}"]`) })
    const tag = row.locator('[data-test=req-state]')
    await tag.waitFor()
    const after = (await tag.innerText()).trim()
    assert.notEqual(after, before, `${ev.action} by ${ev.actor_name}: ${before} -> ${after}`)
    await row.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('demo-desk.png') })
    assert.deepEqual(errors, [])
  }))

  test('the control room tiles are live: the lines count up', ui.track(async (t) => {
    const { page, errors } = await open(t)
    await ui.login(page, 'admin')
    await page.goto('/line')
    // the stream's hello; on a loaded machine it can take longer than one page wait
    await page.locator('[data-test=line-live][data-live=true]').waitFor({ timeout: LIVE_MS })
    await page.locator('[data-test=line-tile]', { hasText: '灌装线 1' }).waitFor()
    await page.locator('[data-test=line-tile]', { hasText: '包装线 1' }).waitFor()
    // units counted on all tiles (good + reject): the packing line's come from
    // the line simulator every second, the filling line's from the inspection node
    const units = () => page.$$eval('[data-test=line-tile] [data-test=line-good], [data-test=line-tile] [data-test=line-reject]',
      (els) => els.reduce((n, el) => n + (Number(el.textContent.replace(/[^\d]/g, '')) || 0), 0))
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=line-tile] [data-test=line-good]')]
      .some((el) => /\d/.test(el.textContent)), null, { timeout: LIVE_MS })
    const n0 = await units()
    // the DOM changes only through the SSE stream: no reload, no polling here
    await page.waitForFunction((n) => [...document.querySelectorAll('[data-test=line-tile] [data-test=line-good], [data-test=line-tile] [data-test=line-reject]')]
      .reduce((s, el) => s + (Number(el.textContent.replace(/[^\d]/g, '')) || 0), 0) > n, n0, { timeout: LIVE_MS })
    const n1 = await units()
    assert.ok(n1 > n0, `${n0} -> ${n1} units`)
    await page.screenshot({ path: shot('demo-control-room.png') })
    assert.deepEqual(errors, [])
  }))

  test('a reject of the inspection node: its event, its trace and its image', ui.track(async (t) => {
    const { page, errors } = await open(t)
    await ui.login(page, 'admin')
    // the node reports each verdict as an EPCIS event (20 % of the demo vials are defective)
    const ev = await until('a non_conformant inspecting event', async () => {
      const b = await page.evaluate(async () => (await fetch('/epcis/events?EQ_bizStep=inspecting&EQ_disposition=non_conformant&perPage=5', { headers: { accept: 'application/json' } })).json())
      const list = b?.epcisBody?.queryResults?.resultsBody?.eventList || b?.eventList || []
      // the node's (it names its unit; the seeded story's V0007 does not)
      return list.find((e) => e['pl:inspection']?.verdict === 'reject' && e['pl:inspection'].unit)
    })
    const vial = ev.epcList[0]
    const insp = ev['pl:inspection']
    assert.ok(insp.reasons.length > 0, 'a reject names its reasons')
    const overlay = insp.images.find((u) => u.endsWith('/overlay.png'))
    assert.ok(overlay && overlay.startsWith('file://'), `overlay image in ${JSON.stringify(insp.images)}`)
    const file = fileURLToPath(overlay)
    assert.ok(file.startsWith(demo.var), `${file} is the node's (under ${demo.var})`)
    assert.deepEqual([...fs.readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG')

    await page.goto('/trace')
    await page.locator('[data-test=trace-code]').fill(vial)
    await page.locator('[data-test=trace-dir-backward]').click()
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/trace\/[^/]+\/backward$/.test(r.url())),
      page.locator('[data-test=trace-run]').click(),
    ])
    assert.equal(res.status(), 200, await res.text())
    await page.locator('[data-test=trace-timeline] tr', { hasText: '检验' }).filter({ hasText: '不合格' }).first().waitFor()
    await page.screenshot({ path: shot('demo-reject-trace.png') })
    // the node's image of that reject, the reasons drawn on it
    await page.goto(overlay)
    await page.locator('img').waitFor()
    assert.ok(await page.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'the overlay decodes')
    await page.screenshot({ path: shot('demo-reject.png') })
    assert.deepEqual(errors, [])
  }))

  test('a vial traced back through its tray and batch to the raw lot', ui.track(async (t) => {
    const { page, errors } = await open(t)
    await ui.login(page, 'ent1')
    // the demo story (src/trace/repo_demo.c): vial 1 of batch B261102 from raw lot API-2611A
    const gtin = (ref) => '0690123400' + ref + gs1CheckDigit('0690123400' + ref)
    await page.goto('/trace')
    await page.locator('[data-test=trace-code]').fill(`https://id.gs1.org/01/${gtin('001')}/21/V0001`)
    await page.locator('[data-test=trace-dir-backward]').click()
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/trace\/[^/]+\/backward$/.test(r.url())),
      page.locator('[data-test=trace-run]').click(),
    ])
    assert.equal(res.status(), 200, await res.text())
    const body = await res.json()
    assert.ok(JSON.stringify(body).includes('/8003/'), 'the walk passes a tray (GRAI)')
    await page.locator('[data-test=trace-graph][data-rendered=true] canvas').waitFor()
    await page.locator('[data-test=trace-lots]', { hasText: 'API-2611A' }).waitFor()
    await page.screenshot({ path: shot('demo-trace.png') })
    assert.deepEqual(errors, [])
  }))

  test('the park dashboard shows the article\'s figures', ui.track(async (t) => {
    const { page, errors } = await open(t)
    await ui.login(page, 'admin')
    await page.goto('/park')
    const FIGURES = {
      tech_enterprises: '138 家', high_tech_enterprises: '102 家', rd_intensity: '4.6 %',
      high_tech_output_share: '53.6 %', high_tech_product_revenue_share: '38.4 %', smart_enterprises: '33 家',
      smart_projects: '72 个', smart_investment: '6.7 亿元', smart_factories: '5 个', digital_workshops: '22 个',
    }
    for (const [key, text] of Object.entries(FIGURES))
      await page.locator(`[data-test=park-card-${key}] [data-test=park-card-value]`, { hasText: text }).waitFor()
    await page.locator('[data-test=park-trend-ratio][data-rendered=true]').waitFor()
    await page.screenshot({ path: shot('demo-park.png') })
    assert.deepEqual(errors, [])
  }))
})
