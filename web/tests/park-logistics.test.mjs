// park-logistics.test.mjs - the park dashboard's port-to-plant panel
// (区港联动, LogisticsPanel.vue, docs/park.md section 4).
//
// Pure helpers of api/logistics.js in node (who may edit the baseline, the
// client-side check, Beijing days, table rows and the chart), then the
// panel in real headless Chromium against `parkline serve --demo`:
//   - the park admin sees the demo's six shipments of 攀华 against the
//     30-day baseline (average 5.8 days, 24.2 days saved), changes the
//     baseline to 20 and sees the daemon's new figures (14.2 saved) and who
//     changed it (the range check is in the node tests and the unit test);
//   - an auditor sees the same panel read-only, in English too.
// Waits only on selectors and responses. Screenshots:
// docs/screenshots/park-logistics.png, park-logistics-en.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'
import {
  baselineEditable, baselineError, beijingDay, shipmentChart, shipmentRows,
} from '../src/api/logistics.js'

describe('logistics helpers', () => {
  test('only the park admin edits the park-wide baseline', () => {
    const cases = [
      [{ role: 'park_admin' }, true], [{ role: 'enterprise', enterprise_id: 'E1' }, false],
      [{ role: 'specialist' }, false], [{ role: 'auditor' }, false], [{ role: 'department' }, false],
      [null, false], [undefined, false],
    ]
    for (const [user, want] of cases) assert.equal(baselineEditable(user), want, JSON.stringify(user))
  })

  test('the baseline must be a whole number of days in 1..365', () => {
    const cases = [
      [30, null], [1, null], [365, null], [0, 'parkLogistics.errRange'], [366, 'parkLogistics.errRange'],
      [-3, 'parkLogistics.errRange'], [12.5, 'parkLogistics.errWhole'], ['20', 'parkLogistics.errWhole'],
      [null, 'parkLogistics.errWhole'], [undefined, 'parkLogistics.errWhole'], [NaN, 'parkLogistics.errWhole'],
    ]
    for (const [v, want] of cases) assert.equal(baselineError(v), want, String(v))
  })

  test('days are Beijing days', () => {
    const cases = [
      ['2025-03-01T15:59:59.000Z', '2025-03-01'], ['2025-03-01T16:00:00.000Z', '2025-03-02'],
      ['2025-12-31T20:00:00Z', '2026-01-01'], ['nope', ''], [null, ''], [42, ''],
    ]
    for (const [iso, want] of cases) assert.equal(beijingDay(iso), want, String(iso))
  })

  test('rows are sorted by declaration and carry days saved', () => {
    const lg = {
      baseline_days: 30,
      shipments: [
        { id: 'B', enterprise_name: '乙', declared_at: '2025-05-01T00:00:00.000Z', received_at: '2025-05-04T00:00:00.000Z', days: 3, saved_days: 27, port: '上海', plant: '厂' },
        { id: 'A', enterprise_id: 'E1', declared_at: '2025-04-01T00:00:00.000Z', received_at: '2025-05-12T00:00:00.000Z', days: 41.5 },
      ],
    }
    const rows = shipmentRows(lg)
    assert.deepEqual(rows.map((r) => [r.id, r.enterprise, r.declared, r.days, r.saved]),
      [['A', 'E1', '2025-04-01', 41.5, -11.5], ['B', '乙', '2025-05-01', 3, 27]])
    assert.deepEqual(shipmentRows(null), [])
    const opt = shipmentChart(lg, { daysLabel: 'd', baselineLabel: 'b' })
    assert.deepEqual(opt.series[0].data, [41.5, 3])
    assert.deepEqual(opt.series[1].data, [30, 30])
    assert.equal(opt.yAxis.max, 41.5)
  })
})

describe('logistics panel in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)

  test('the park admin sees shipments against the baseline and changes it', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/park')
    const panel = page.locator('[data-test=park-logistics]')
    await panel.locator('[data-test=park-logistics-avg]', { hasText: '5.8' }).waitFor()
    await panel.locator('[data-test=park-logistics-baseline]', { hasText: '30' }).waitFor()
    await panel.locator('[data-test=park-logistics-saved]', { hasText: '24.2' }).waitFor()
    await panel.locator('[data-test=park-logistics-updated]', { hasText: '默认值' }).waitFor()
    await panel.locator('[data-test=park-logistics-table] .el-table__body tr', { hasText: '重庆攀华板材有限公司' }).first().waitFor()
    assert.equal(await panel.locator('[data-test=park-logistics-table] .el-table__body tr').count(), 6)
    await panel.locator('[data-test=park-logistics-chart][data-rendered=true]').waitFor()
    await panel.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('park-logistics.png') })

    // one PUT; the panel then reads the shipments again
    let puts = 0
    page.on('request', (r) => { if (r.method() === 'PUT' && r.url().endsWith('/api/v1/park/logistics/baseline')) puts++ })
    const input = panel.locator('[data-test=park-logistics-input] input')
    await input.fill('20')
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/park/logistics/baseline')),
      panel.locator('[data-test=park-logistics-save]').click(),
    ])
    assert.equal(res.status(), 200)
    assert.equal((await res.json()).baseline_days, 20)
    await panel.locator('[data-test=park-logistics-baseline]', { hasText: '20' }).waitFor()
    await panel.locator('[data-test=park-logistics-saved]', { hasText: '14.2' }).waitFor()
    await panel.locator('[data-test=park-logistics-updated]', { hasText: 'admin' }).waitFor()
    // what the daemon now answers is what the panel shows
    const lg = await page.evaluate(async () => (await fetch('/api/v1/park/logistics')).json())
    assert.equal(lg.baseline_days, 20)
    assert.equal(lg.shipments.length, 6)
    for (const s of lg.shipments) assert.ok(Math.abs(s.saved_days - (20 - s.days)) < 0.011, JSON.stringify(s))
    assert.equal(puts, 1)
    assert.deepEqual(errors, [])
  }))

  test('an auditor sees the panel read-only, in English too', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'auditor')
    await page.goto('/park')
    const panel = page.locator('[data-test=park-logistics]')
    await panel.locator('[data-test=park-logistics-setting]', { hasText: '区港联动前的基准天数' }).waitFor()
    assert.equal(await panel.locator('[data-test=park-logistics-input]').count(), 0)
    assert.equal(await panel.locator('[data-test=park-logistics-save]').count(), 0)
    await page.locator('[data-test=lang-en]').click()
    await panel.locator('.lp-title', { hasText: 'Port to plant' }).waitFor()
    await panel.locator('[data-test=park-logistics-table] th', { hasText: 'Days saved' }).waitFor()
    await panel.locator('[data-test=park-logistics-chart][data-rendered=true]').waitFor()
    await panel.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('park-logistics-en.png') })
    await page.locator('[data-test=lang-zh]').click()
    await panel.locator('.lp-title', { hasText: '区港联动' }).waitFor()
    assert.deepEqual(errors, [])
  }))
})
