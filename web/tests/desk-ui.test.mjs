// desk-ui.test.mjs - the desk's WeChat bindings tab (WechatBindings.vue)
// and the green channel's Gantt chart (GreenGantt.vue).
//
// In node, without a browser: the working-day arithmetic the chart draws
// with (greenGantt.js) on the repository's calendar files, with 国庆 and a
// 调休 Saturday; the plan/actual rows and the ECharts option (escaped
// tooltips); the bindings form's checks (wechatBindings.js), table-driven.
//
// In real headless Chromium against `parkline serve --demo`: the park admin
// binds an OpenID for an enterprise, is stopped by the form on a bad
// OpenID (no request sent) and by the daemon's 409 on a second binding of
// the same OpenID (shown in the form, nothing added); an enterprise user,
// in English, binds and unbinds their own while another enterprise never
// sees it; specialists get no tab; the finished demo project's Gantt
// chart ends its statutory plan where this file's arithmetic says, and the
// page's calendar agrees with the daemon's working-day count for every
// step. Waits only on selectors and responses. Screenshots:
// docs/screenshots/desk-wechat.png, desk-wechat-en.png, desk-green-gantt.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'
import {
  addWorkdays, dayOf, dayOfYmd, escapeHtml, ganttOption, ganttRows, isWorkday, parseCalendar, workdaysBetween,
} from '../src/views/desk/greenGantt.js'
import { checkContact, checkOpenid, problemKey, seesWechat } from '../src/views/desk/wechatBindings.js'

const CAL_DIR = path.join(REPO, 'data', 'calendar')
const CAL = parseCalendar(fs.readdirSync(CAL_DIR).filter((f) => /^\d{4}\.txt$/.test(f))
  .map((f) => fs.readFileSync(path.join(CAL_DIR, f), 'utf8')))
const D = (s) => dayOfYmd(s)

describe('green Gantt arithmetic (node)', () => {
  test('working days follow the calendar files: holidays, 调休 Saturdays, Monday-Friday elsewhere', () => {
    const cases = [
      // [day, work, known]
      ['2026-10-01', false, true], // 国庆节
      ['2026-10-08', true, true], // Thursday after the holiday
      ['2026-10-10', true, true], // 国庆节调休: a Saturday at work
      ['2026-10-11', false, true], // an ordinary Sunday
      ['2026-02-14', true, true], // 春节调休 Saturday
      ['2026-02-16', false, true], // 春节, a Monday
      ['2030-03-04', true, false], // a Monday in a year without a file
      ['2030-03-02', false, false], // a Saturday there
    ]
    for (const [ymd, work, known] of cases) assert.deepEqual(isWorkday(CAL, D(ymd)), { work, known }, ymd)
  })

  test('counting and adding working days agree with the statute\'s rule (first day not counted)', () => {
    const between = [
      // [from, to, days, approx]
      ['2026-09-27', '2026-09-30', 3, false], // the demo's 立项备案: 3
      ['2026-09-30', '2026-10-04', 0, false], // all 国庆: 0
      ['2026-10-04', '2026-10-08', 1, false],
      ['2026-10-09', '2026-10-12', 2, false], // Saturday 10-10 counts, Sunday not
      ['2026-10-12', '2026-10-12', 0, false],
      ['2026-12-30', '2027-01-04', 3, true], // no 2027 file: Monday-Friday assumed (01-01 too)
    ]
    for (const [a, b, days, approx] of between) {
      assert.deepEqual(workdaysBetween(CAL, D(a), D(b)), { days, approx }, `${a}..${b}`)
    }
    const add = [
      // [from, n, day]
      ['2026-09-30', 1, '2026-10-08'],
      ['2026-09-30', 2, '2026-10-09'],
      ['2026-09-30', 3, '2026-10-10'],
      ['2026-09-30', 0, '2026-09-30'],
      ['2026-11-02', 20, '2026-11-30'], // 20 working days: four plain weeks
    ]
    for (const [from, n, to] of add) assert.equal(addWorkdays(CAL, D(from), n).day, D(to), `${from} + ${n}`)
    // n is clamped: a bad figure never loops for ever
    assert.ok(addWorkdays(CAL, D('2026-01-01'), 1e9).day - D('2026-01-01') < 800)
  })

  test('rows chain the statutory plan, mark each step and give its own deadline', () => {
    const project = {
      started_at: '2026-09-26T00:00:00Z',
      steps: [
        { seq: 1, name: 'A', department: 'X', statutory_days: 3, started_at: '2026-09-29T01:00:00Z', finished_at: '2026-10-09T02:00:00Z', actual_days: 2, saved_days: 1, over_statutory: false },
        { seq: 2, name: 'B', department: 'Y', statutory_days: 2, started_at: '2026-10-09T03:00:00Z', finished_at: null, actual_days: 1, over_statutory: false },
        { seq: 3, name: 'C', department: 'Z', statutory_days: 5, started_at: null, finished_at: null },
      ],
    }
    const now = Date.parse('2026-10-12T04:00:00Z')
    const g = ganttRows(project, CAL, now)
    assert.deepEqual(g.rows.map((r) => r.status), ['done', 'running', 'waiting'])
    // plan: from the first 受理 (09-29), 3 working days -> 10-09 (09-30, 10-08,
    // 10-09); then 2 -> 10-12 (the 调休 Saturday 10-10 and Monday 10-12);
    // then 5 -> 10-19
    assert.equal(g.rows[0].plan[0], Date.parse('2026-09-29T01:00:00Z'))
    assert.equal(g.rows[0].plan[1], Date.parse('2026-10-09T16:00:00Z')) // end of 10-09, Beijing
    assert.equal(g.rows[1].plan[0], Date.parse('2026-10-08T16:00:00Z'))
    assert.equal(g.rows[1].plan[1], Date.parse('2026-10-12T16:00:00Z'))
    assert.equal(g.rows[2].plan[1], Date.parse('2026-10-19T16:00:00Z'))
    assert.equal(g.planEnd, g.rows[2].plan[1])
    assert.deepEqual(g.rows[1].actualSpan, [Date.parse('2026-10-09T03:00:00Z'), now])
    assert.equal(g.rows[2].actualSpan, null)
    assert.equal(g.rows[2].deadline, null)
    assert.equal(g.rows[0].deadline, Date.parse('2026-10-09T16:00:00Z'))
    assert.equal(g.actualEnd, now)
    assert.equal(g.approx, false)
    // no step started: the plan starts at the project's start
    const idle = ganttRows({ started_at: '2026-11-02T02:00:00Z', steps: [{ seq: 1, name: 'A', statutory_days: 20 }] }, CAL, now)
    assert.equal(idle.rows[0].plan[0], Date.parse('2026-11-02T02:00:00Z'))
    assert.equal(dayOf(idle.planEnd - 1), D('2026-11-30'))
    assert.deepEqual(ganttRows(null, CAL, now).rows, [])
  })

  test('the option draws one plan bar per step, one actual bar per started step, and escapes its tooltip', () => {
    const project = {
      steps: [
        { seq: 1, name: '<img src=x onerror=alert(1)>', department: 'A&B', statutory_days: 2, started_at: '2026-11-02T01:00:00Z', finished_at: '2026-11-03T01:00:00Z', actual_days: 1, saved_days: 1 },
        { seq: 2, name: 'B', department: 'C', statutory_days: 2, started_at: null, finished_at: null },
      ],
    }
    const now = Date.parse('2026-11-05T00:00:00Z')
    const g = ganttRows(project, CAL, now)
    const labels = { plan: 'P', actual: 'A', now: 'N', aria: 'x', tooltip: (r, actual) => [`${r.name} ${r.department}`, actual ? 'a' : 'p'] }
    const o = ganttOption(g, labels, (v) => String(v), now)
    const data = o.series[0].data
    assert.equal(data.length, 3)
    assert.deepEqual(data.map((d) => d.value[3]), [0, 1, 0])
    const tip = o.tooltip.formatter({ value: data[1].value })
    assert.equal(tip, '&lt;img src=x onerror=alert(1)&gt; A&amp;B<br/>a')
    assert.equal(o.series[0].markLine, undefined, 'no running step: no "now" line')
    assert.equal(escapeHtml(`"'`), '&quot;&#39;')
  })
})

describe('WeChat binding form rules (node)', () => {
  test('the form refuses what the daemon refuses, with the reason\'s key', () => {
    const openids = [
      ['oXyZ1234abcd_-EFGH5678ijkl9', null],
      ['', 'openidEmpty'],
      [undefined, 'openidEmpty'],
      ['a'.repeat(64), null],
      ['a'.repeat(65), 'openidLong'],
      ['bad id', 'openidChars'],
      ['微信', 'openidChars'],
      ['a/b', 'openidChars'],
    ]
    for (const [v, want] of openids) assert.equal(checkOpenid(v), want, JSON.stringify(v))
    const contacts = [
      ['张三', null],
      ['  ', 'contactEmpty'],
      ['', 'contactEmpty'],
      ['a\tb', 'contactLine'],
      ['a\nb', 'contactLine'],
      ['a\x01b', 'contactLine'],
      ['张'.repeat(33), null], // 99 bytes
      ['张'.repeat(34), 'contactLong'], // 102 bytes
      ['x'.repeat(100), null],
    ]
    for (const [v, want] of contacts) assert.equal(checkContact(v), want, JSON.stringify(v))
    assert.deepEqual([400, 403, 404, 409, 500, 0].map(problemKey), ['invalid', 'forbidden', 'notFound', 'conflict', 'failed', 'failed'])
    assert.deepEqual(['park_admin', 'enterprise', 'specialist', 'department', 'auditor'].map(seesWechat), [true, true, false, false, false])
  })
})

describe('WeChat bindings and the green Gantt chart in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)
  const tag = `${process.pid}${Date.now() % 100000}`
  const isBindings = (r, method) => r.url().includes('/api/v1/desk/wechat-bindings') && r.request().method() === method

  test('the park admin binds for an enterprise; the form and the daemon stop bad input', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/desk?tab=wechat')
    await page.locator('[data-test=wx-table]').waitFor()
    let posts = 0
    page.on('request', (r) => { if (r.url().includes('/wechat-bindings') && r.method() === 'POST') posts++ })

    // the enterprise, from the remote search
    await page.locator('[data-test=wx-enterprise]').click()
    await page.locator('[data-test=wx-enterprise] input').fill('太极')
    const option = page.locator('.pl-wx-enterprise .el-select-dropdown__item', { hasText: '重庆太极制药有限公司' })
    await option.waitFor()
    await option.click()

    // a bad OpenID: the form says why and sends nothing
    await page.locator('[data-test=wx-openid]').fill('bad id!')
    await page.locator('[data-test=wx-contact]').fill('张三')
    await page.locator('[data-test=wx-bind]').click()
    await page.locator('[data-test=wx-form] .el-form-item__error', { hasText: 'OpenID 只能包含字母、数字、- 和 _' }).waitFor()
    assert.equal(posts, 0, 'nothing was sent')

    const openid = `o_admin_${tag}`
    await page.locator('[data-test=wx-openid]').fill(openid)
    const [made] = await Promise.all([
      page.waitForResponse((r) => isBindings(r, 'POST')),
      page.locator('[data-test=wx-bind]').click(),
    ])
    assert.equal(made.status(), 201, await made.text())
    const row = page.locator('[data-test=wx-table] tr', { hasText: openid })
    await row.locator('text=重庆太极制药有限公司').waitFor()
    await row.locator('text=张三').waitFor()
    const before = await page.locator('[data-test=wx-table] tbody tr').count()

    // the same OpenID again: the daemon's 409, shown in the form; nothing added
    await page.locator('[data-test=wx-openid]').fill(openid)
    await page.locator('[data-test=wx-contact]').fill('李四')
    const [dup] = await Promise.all([
      page.waitForResponse((r) => isBindings(r, 'POST')),
      page.locator('[data-test=wx-bind]').click(),
    ])
    assert.equal(dup.status(), 409)
    await page.locator('[data-test=wx-error]', { hasText: '该 OpenID 已绑定' }).waitFor()
    await page.locator('[data-test=wx-error]', { hasText: 'is bound already' }).waitFor()
    await page.locator('[data-test=wx-count]', { hasText: `共 ${before} 条绑定` }).waitFor()
    assert.equal(await page.locator('[data-test=wx-table] tr', { hasText: '李四' }).count(), 0)

    // the filter asks the daemon for that enterprise's bindings only
    await page.locator('[data-test=wx-filter]').click()
    await page.locator('[data-test=wx-filter] input').fill('太极')
    const pick = page.locator('.pl-wx-filter .el-select-dropdown__item', { hasText: '重庆太极制药有限公司' })
    await pick.waitFor()
    const [filtered] = await Promise.all([
      page.waitForResponse((r) => isBindings(r, 'GET') && r.url().includes('enterprise_id=')),
      pick.click(),
    ])
    assert.ok((await filtered.json()).items.every((b) => b.enterprise_id === made.request().postDataJSON().enterprise_id))
    await row.waitFor()
    await page.screenshot({ path: shot('desk-wechat.png') })
    // Chromium logs the 409 it was meant to get; anything else is a fault
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [])
  }))

  test('an enterprise user, in English, binds and unbinds their own; another enterprise never sees it', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.locator('[data-test=lang-en]').click()
    await page.goto('/desk?tab=wechat')
    await page.locator('[data-test=desk-wechat]', { hasText: 'Bind a WeChat user' }).waitFor()
    assert.equal(await page.locator('[data-test=wx-enterprise]').count(), 0, 'no enterprise to pick')

    await page.locator('[data-test=wx-openid]').fill(`o_ent1_${tag}`)
    await page.locator('[data-test=wx-contact]').fill('张'.repeat(34))
    await page.locator('[data-test=wx-bind]').click()
    await page.locator('[data-test=wx-form] .el-form-item__error', { hasText: 'at most 100 bytes' }).waitFor()

    const openid = `o_ent1_${tag}`
    await page.locator('[data-test=wx-contact]').fill('Li Lei')
    const [made] = await Promise.all([
      page.waitForResponse((r) => isBindings(r, 'POST')),
      page.locator('[data-test=wx-bind]').click(),
    ])
    assert.equal(made.status(), 201, await made.text())
    const row = page.locator('[data-test=wx-table] tr', { hasText: openid })
    await row.locator('text=Li Lei').waitFor()
    await page.screenshot({ path: shot('desk-wechat-en.png') })

    // ent2 (another enterprise) lists its own bindings only
    const other = await ui.openPage(t)
    await ui.login(other.page, 'ent2')
    const [list] = await Promise.all([
      other.page.waitForResponse((r) => isBindings(r, 'GET')),
      other.page.goto('/desk?tab=wechat'),
    ])
    assert.equal(list.status(), 200)
    const seen = (await list.json()).items.map((b) => b.openid)
    assert.ok(!seen.includes(openid), 'ent2 does not get ent1\'s binding')
    await other.page.locator('[data-test=wx-table]').waitFor()
    assert.equal(await other.page.locator('[data-test=wx-table] tr', { hasText: openid }).count(), 0)

    // unbinding asks once more in the row, then removes it
    await row.locator(`[data-test="wx-unbind-${openid}"]`).click()
    const [gone] = await Promise.all([
      page.waitForResponse((r) => isBindings(r, 'DELETE')),
      row.locator(`[data-test="wx-confirm-${openid}"]`).click(),
    ])
    assert.equal(gone.status(), 204)
    await page.locator('[data-test=wx-table] tr', { hasText: openid }).waitFor({ state: 'detached' })
    assert.deepEqual(errors, [])
    assert.deepEqual(other.errors, [])
  }))

  // the other roles are the pure seesWechat table above; one sign-in here
  // checks the page follows it
  test('specialists get no WeChat tab', ui.track(async (t) => {
    for (const who of ['specialist1']) {
      const { page } = await ui.openPage(t)
      await ui.login(page, who)
      await page.goto('/desk?tab=wechat')
      await page.locator('[data-test=desk-tab-queue]').waitFor({ state: 'attached' })
      assert.equal(await page.locator('#tab-wechat').count(), 0, who)
      assert.equal(await page.locator('[data-test=desk-wechat]').count(), 0, who)
    }
  }))

  test('the finished demo project\'s Gantt chart: the plan ends where the calendar says, in both languages', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/green-projects')),
      page.goto('/desk?tab=green'),
    ])
    const done = (await res.json()).items.find((p) => p.status === 'done')
    assert.ok(done, 'the demo has a finished project')
    const [detail] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/desk/green-projects/${done.id}`)),
      page.locator('[data-test=green-table] tr', { hasText: done.name }).click(),
    ])
    const project = await detail.json()
    const chart = page.locator('[data-test=green-chart][data-rendered=true]')
    await chart.waitFor()

    // the page's calendar counts every step as the daemon did
    for (const s of project.steps) {
      const got = workdaysBetween(CAL, dayOf(Date.parse(s.started_at)), dayOf(Date.parse(s.finished_at)))
      assert.equal(got.days, s.actual_days, `step ${s.seq} ${s.name}`)
    }
    const g = ganttRows(project, CAL)
    assert.equal(Number(await chart.getAttribute('data-plan-end')), g.planEnd)
    assert.ok(g.planEnd - g.actualEnd > 90 * 86400000, 'the statutory plan runs months past the real end')
    await page.locator('[data-test=gantt-summary]', { hasText: `按法定时限串联共 ${project.statutory_days} 个工作日` }).waitFor()
    await page.locator('[data-test=gantt-summary]', { hasText: `实际历时 ${project.elapsed_days} 个工作日` }).waitFor()
    await page.locator('[data-test=gantt-summary]', { hasText: `节省 ${project.days_saved} 个工作日` }).waitFor()
    // the timeline stays below as the text form
    await page.locator('[data-test=green-steps]', { hasText: '竣工验收备案' }).waitFor()
    assert.equal(await page.locator('[data-test=green-steps] .el-timeline-item').count(), project.steps.length)
    await page.screenshot({ path: shot('desk-green-gantt.png') })

    // the drawer's mask covers the header: close it, switch, open it again
    await page.keyboard.press('Escape')
    await page.locator('[data-test=green-drawer]').waitFor({ state: 'hidden' })
    await page.locator('[data-test=lang-en]').click()
    await page.locator('[data-test=green-table] tr', { hasText: done.name }).click()
    await page.locator('[data-test=gantt-summary]', { hasText: `${project.days_saved} working days saved` }).waitFor()
    await page.locator('[data-test=gantt-summary]', { hasText: `By statute, one after another: ${project.statutory_days} working days` }).waitFor()
    assert.deepEqual(errors, [])
  }))
})
