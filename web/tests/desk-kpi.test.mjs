// desk-kpi.test.mjs - the desk's 报表 and 时限设置 tabs (ReportsView.vue,
// SlaSettings.vue) in real headless Chromium
// against `parkline serve --demo`, whose bulk seed gives a year of
// requests: the admin sees the monthly report with its charts drawn and a
// total that equals the API's, switches to specialists, and the CSV export
// link answers a BOM-prefixed CSV; a specialist sees only its own row; the
// admin changes one SLA cell, sees a bad value refused with the server's
// message, and puts the cell back; an enterprise gets neither tab. Waits
// only on selectors and responses. Screenshot: docs/screenshots/desk-reports.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'

const isReport = (r) => r.url().includes('/api/v1/desk/reports/kpi?') && !r.url().includes('format=csv')

describe('desk reports and SLA settings in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)

  test('admin: monthly report with charts, then by specialist, and the CSV export', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    const [res] = await Promise.all([page.waitForResponse(isReport), page.goto('/desk?tab=reports')])
    assert.equal(res.status(), 200)
    const body = await res.json()
    assert.equal(body.group, 'month')
    assert.ok(body.total.requests >= 1000, `the demo has a year of requests (${body.total.requests})`)
    assert.ok(body.items.length >= 12, `one row per month (${body.items.length})`)
    await page.locator('[data-test=report-chart][data-rendered=true]').waitFor()
    await page.locator('[data-test=report-total]', { hasText: `工单数 ${body.total.requests}` }).waitFor()
    await page.locator('[data-test=report-table] tr', { hasText: body.items[0].key }).first().waitFor()
    await page.locator('[data-test=report-table]', { hasText: '签收及时率' }).waitFor()
    await page.screenshot({ path: shot('desk-reports.png'), fullPage: true })

    // by specialist: the select re-queries
    const [res2] = await Promise.all([
      page.waitForResponse((r) => isReport(r) && r.url().includes('group=specialist')),
      (async () => {
        await page.locator('[data-test=report-group]').click()
        await page.locator('.el-select-dropdown__item', { hasText: '服务专员' }).click()
      })(),
    ])
    const byspec = await res2.json()
    assert.equal(byspec.total.requests, body.total.requests, 'same requests, other grouping')
    await page.locator('[data-test=report-table] tr', { hasText: 'Specialist One' }).first().waitFor()

    // the export link is the same report as CSV with a BOM
    const href = await page.locator('[data-test=report-csv]').getAttribute('href')
    assert.match(href, /format=csv/)
    const csv = await page.evaluate(async (u) => {
      const r = await fetch(u)
      const b = new Uint8Array(await r.arrayBuffer())
      return { type: r.headers.get('content-type'), bom: Array.from(b.slice(0, 3)), text: new TextDecoder().decode(b) }
    }, href)
    assert.equal(csv.type, 'text/csv; charset=utf-8')
    assert.deepEqual(csv.bom, [0xef, 0xbb, 0xbf])
    assert.match(csv.text, /签收及时率% sign_on_time_rate/)
    assert.match(csv.text, new RegExp(`\\r\\ntotal,,${body.total.requests},`))
    assert.deepEqual(errors, [])
  }))

  test('a specialist sees only its own row', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'specialist1')
    await page.goto('/desk?tab=reports')
    const [res] = await Promise.all([
      page.waitForResponse((r) => isReport(r) && r.url().includes('group=specialist')),
      (async () => {
        await page.locator('[data-test=report-group]').click()
        await page.locator('.el-select-dropdown__item', { hasText: '服务专员' }).click()
      })(),
    ])
    const body = await res.json()
    assert.equal(body.items.length, 1)
    assert.match(body.items[0].name, /Specialist One/)
    assert.equal(body.total.requests, body.items[0].requests)
    assert.deepEqual(errors, [])
  }))

  test('admin changes an SLA cell, a bad value is refused, and the cell goes back', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/desk?tab=sla')
    // Element Plus puts unknown attributes on the native <input> itself
    const cell = page.locator('input[data-test=sla-complaint-normal-resolve], [data-test=sla-complaint-normal-resolve] input')
    await cell.waitFor()
    assert.equal(await cell.inputValue(), '5wd')

    const put = (value) => Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/sla') && r.request().method() === 'PUT'),
      (async () => {
        await cell.fill(value)
        await page.locator('[data-test=sla-save]').click()
      })(),
    ])
    let [res] = await put('3wd')
    assert.equal(res.status(), 200)
    await page.locator('[data-test=sla-saved]').waitFor()
    await page.locator('[data-test=sla-table] tr', { hasText: '已调整' }).first().waitFor()

    ;[res] = await put('0h')
    assert.equal(res.status(), 400)
    await page.locator('[data-test=sla-error]', { hasText: 'items[0].resolve' }).waitFor()
    const now = await (await page.evaluate(() => fetch('/api/v1/desk/sla').then((r) => r.text())))
    assert.match(now, /"category":"complaint","urgency":"normal","custom":\["resolve"\],"sign":"2h","contact":"1h","resolve":"3wd"/,
      'the refused change left the table as it was')

    ;[res] = await put('5wd')
    assert.equal(res.status(), 200)
    await page.locator('[data-test=sla-table] tr', { hasText: '已调整' }).first().waitFor({ state: 'detached' })
    assert.deepEqual(errors.filter((e) => !/400/.test(e)), [])
  }))

  test('an enterprise gets no reports or SLA tab', ui.track(async (t) => {
    const { page } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/desk')
    await page.locator('[data-test=desk]').waitFor()
    await page.locator('[data-test=desk-tab-queue]').waitFor({ state: 'attached' })
    assert.equal(await page.locator('#tab-reports').count(), 0)
    assert.equal(await page.locator('#tab-sla').count(), 0)
  }))
})
