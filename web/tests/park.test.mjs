// park.test.mjs - the 园区 area.
//
// Pure helpers of api/park.js in node (which tabs a role sees, how a card
// reads, card order, catalogue checks, trend series), then the pages in
// real headless Chromium against `parkline serve --demo`:
//   - the dashboard shows the article's figures computed from the demo data
//     (138, 102, 4.6 %, 53.6 %, 38.4 %, 33, 72, 6.7 亿元, 5, 22), draws its
//     trend charts, and a card drills into the rows it counts;
//   - the English switch relabels the cards, figures unchanged;
//   - the enterprise list searches and opens a profile with certificates,
//     yearly chart and projects;
//   - supplier matching: enterprise 2 saves its catalogue, gets the in-park
//     vial maker ranked first for 中硼硅玻璃西林瓶, introduces itself, and
//     both desk requests appear in the park admin's queue.
// Waits only on selectors and responses. Screenshots:
// docs/screenshots/park-dashboard.png, park-services.png, park-rows.png, park-dashboard-en.png,
// park-profile.png, park-match.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'
import {
  CARD_ORDER, catalogBody, catalogError, codeValid, formatIndicator, parkTabs, rowColumns,
  rowsPath, sharingEditable, sortIndicators, trendSeries,
} from '../src/api/park.js'

describe('park helpers', () => {
  test('tabs follow docs/security.md', () => {
    const cases = [
      ['park_admin', ['overview', 'enterprises', 'match']],
      ['specialist', ['overview', 'enterprises', 'match']],
      ['department', ['overview']],
      ['enterprise', ['enterprises', 'match']],
      ['auditor', ['overview', 'enterprises']],
      ['device', []],
      [undefined, []],
    ]
    for (const [role, want] of cases) assert.deepEqual(parkTabs(role), want, role)
  })

  test('the sharing switch is the park admin\'s and the enterprise\'s own', () => {
    const cases = [
      [{ role: 'park_admin' }, 'E1', true],
      [{ role: 'enterprise', enterprise_id: 'E1' }, 'E1', true],
      [{ role: 'enterprise', enterprise_id: 'E2' }, 'E1', false],
      [{ role: 'auditor' }, 'E1', false],
      [{ role: 'specialist' }, 'E1', false],
      [null, 'E1', false],
    ]
    for (const [user, id, want] of cases) assert.equal(sharingEditable(user, id), want, JSON.stringify(user))
  })

  test('indicator values read with their units', () => {
    const cases = [
      [{ value: 138, unit: '家' }, 'zh-CN', '138 家'],
      [{ value: 138, unit: '家' }, 'en', '138'],
      [{ value: 4.6, unit: '%' }, 'zh-CN', '4.6 %'],
      [{ value: 53.6, unit: '%' }, 'en', '53.6 %'],
      [{ value: 6.7, unit: '亿元' }, 'zh-CN', '6.7 亿元'],
      [{ value: 6.7, unit: '亿元' }, 'en', '6.7 × 100M yuan'],
      [{ value: 5.76, unit: '天' }, 'zh-CN', '5.8 天'],
      [{ value: 152, unit: '工作日' }, 'en', '152 working days'],
      [{ value: null, unit: '%' }, 'zh-CN', '—'],
      [{ value: 'x', unit: '%' }, 'zh-CN', '—'],
      [null, 'zh-CN', '—'],
    ]
    for (const [ind, loc, want] of cases) assert.equal(formatIndicator(ind, loc), want, JSON.stringify(ind))
  })

  test('cards follow the article order, unknown keys last in daemon order', () => {
    const got = sortIndicators([{ key: 'zz' }, { key: 'rd_intensity' }, { key: 'aa' }, { key: 'tech_enterprises' }])
    assert.deepEqual(got.map((x) => x.key), ['tech_enterprises', 'rd_intensity', 'zz', 'aa'])
    assert.equal(CARD_ORDER[0], 'tech_enterprises')
    assert.deepEqual(sortIndicators(null), [])
  })

  test('rows path uses the source only when it is one of our API paths', () => {
    assert.equal(rowsPath({ key: 'k', source: '/api/v1/park/indicators/k/rows?date=2026-01-01&year=2025' }),
      '/api/v1/park/indicators/k/rows?date=2026-01-01&year=2025')
    assert.equal(rowsPath({ key: 'a b', source: 'https://evil.example/' }), '/api/v1/park/indicators/a%20b/rows')
    assert.equal(rowsPath({ key: 'g', source: '/api/v1/desk/green-projects' }), '/api/v1/desk/green-projects')
    assert.equal(rowsPath({ key: 'h', source: '//evil.example/api/v1/x' }), '/api/v1/park/indicators/h/rows')
    assert.equal(rowsPath({ key: 'i' }), '/api/v1/park/indicators/i/rows')
  })

  test('row columns put ids last', () => {
    assert.deepEqual(rowColumns([{ enterprise_id: 1, name_zh: 'a' }, { uscc: 'x', id: 2 }]),
      ['name_zh', 'uscc', 'enterprise_id', 'id'])
    assert.deepEqual(rowColumns([]), [])
  })

  test('trend series keep missing years as null', () => {
    const s = trendSeries([{ year: 2024, values: { a: 1 } }, { year: 2025, values: { a: 2, b: 3 } }], ['a', 'b'])
    assert.deepEqual(s, [{ key: 'a', years: [2024, 2025], data: [1, 2] }, { key: 'b', years: [2024, 2025], data: [null, 3] }])
  })

  test('catalogue checks name the first bad row and field', () => {
    const good = { kind: 'make', industry_code: 'C3055', product: '西林瓶', description: '' }
    const cases = [
      [[good], null],
      [[good, { ...good, kind: 'sell' }], { index: 1, field: 'kind' }],
      [[{ ...good, industry_code: 'C' }], { index: 0, field: 'industry_code' }],
      [[{ ...good, industry_code: 'Z30551' }], { index: 0, field: 'industry_code' }],
      [[{ ...good, product: '  ' }], { index: 0, field: 'product' }],
      [[{ ...good, product: '瓶'.repeat(67) }], { index: 0, field: 'product' }],
      [[{ ...good, description: 'x'.repeat(1001) }], { index: 0, field: 'description' }],
      ['x', { index: -1, field: 'items' }],
      [Array(101).fill(good), { index: 100, field: 'items' }],
    ]
    for (const [items, want] of cases) assert.deepEqual(catalogError(items), want)
    assert.ok(codeValid(' 2720 ') && codeValid('c27') && !codeValid('27201'))
    assert.deepEqual(catalogBody([{ ...good, industry_code: ' c3055 ', extra: 1 }], undefined),
      { in_park: true, items: [{ kind: 'make', industry_code: 'c3055', product: '西林瓶', description: '' }] })
  })
})

describe('park pages in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)
  // the article's figures as the demo data computes them
  const FIGURES = {
    tech_enterprises: '138 家', high_tech_enterprises: '102 家', rd_intensity: '4.6 %',
    high_tech_output_share: '53.6 %', high_tech_product_revenue_share: '38.4 %', smart_enterprises: '33 家',
    smart_projects: '72 个', smart_investment: '6.7 亿元', smart_factories: '5 个', digital_workshops: '22 个',
  }

  test('the dashboard shows the article\'s figures and drills into a figure\'s rows', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/park\/indicators(\?|$)/.test(r.url())),
      page.goto('/park'),
    ])
    assert.equal(res.status(), 200)
    for (const [key, text] of Object.entries(FIGURES)) {
      await page.locator(`[data-test=park-card-${key}] [data-test=park-card-value]`, { hasText: text }).waitFor()
    }
    await page.locator('[data-test=park-trend-ratio][data-rendered=true]').waitFor()
    await page.locator('[data-test=park-trend-count][data-rendered=true]').waitFor()
    await page.locator('[data-test=park-green]', { hasText: /\d/ }).waitFor()
    await page.locator('[data-test=park-port]', { hasText: '基准 30 天' }).waitFor()
    await page.screenshot({ path: shot('park-dashboard.png') })
    await page.locator('[data-test=park-desk]', { hasText: '满意率' }).waitFor()
    await page.locator('[data-test=park-lines]', { hasText: 'OEE' }).waitFor()
    // the active-alarm count is the API's, for the lines this caller sees
    const active = await page.evaluate(async () => (await (await fetch('/api/v1/alarms')).json()).items.length)
    await page.locator('[data-test=park-alarms]', { hasText: '活动报警' }).waitFor()
    assert.equal((await page.locator('[data-test=park-alarms] .el-tag').innerText()).trim(), String(active))
    // desk KPIs and the shared lines' OEE are cards too
    await page.locator('[data-test=park-card-desk_satisfaction]', { hasText: '服务满意率' }).waitFor()
    await page.locator('[data-test=park-card-desk_on_time]', { hasText: '按期办结率' }).waitFor()
    await page.locator('[data-test=park-card-line_oee_avg]', { hasText: '共享产线平均OEE' }).waitFor()
    await page.locator('[data-test=park-desk]').scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('park-services.png') })

    const [rows] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/park/indicators/high_tech_enterprises/rows')),
      page.locator('[data-test=park-card-high_tech_enterprises]').click(),
    ])
    const body = await rows.json()
    assert.equal(body.rows.length, 102, 'the card counts the rows it links to')
    await page.locator('[data-test=park-rows-drawer]', { hasText: '明细（102 行）' }).waitFor()
    await page.locator('[data-test=park-rows]', { hasText: body.rows[0].name_zh }).waitFor()
    await page.screenshot({ path: shot('park-rows.png') })
    // the green-channel figure drills into the desk's project list
    await page.keyboard.press('Escape')
    await page.locator('[data-test=park-rows]').waitFor({ state: 'hidden' })
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/green-projects') && r.status() === 200),
      page.locator('[data-test=park-card-green_days_saved]').click(),
    ])
    await page.locator('[data-test=park-rows-drawer]', { hasText: '明细（2 行）' }).waitFor()
    assert.deepEqual(errors, [])
  }))

  test('English relabels the cards and keeps the figures', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'auditor')
    await page.goto('/park')
    await page.locator('[data-test=park-card-rd_intensity]', { hasText: '科研投入占比' }).waitFor()
    await page.locator('[data-test=lang-en]').click()
    await page.locator('[data-test=park-card-rd_intensity]', { hasText: 'R&D spending / revenue' }).waitFor()
    await page.locator('[data-test=park-card-rd_intensity] [data-test=park-card-value]', { hasText: '4.6 %' }).waitFor()
    await page.locator('[data-test=park-card-smart_investment] [data-test=park-card-value]', { hasText: '6.7 × 100M yuan' }).waitFor()
    await page.locator('#tab-overview', { hasText: 'Indicators' }).waitFor()
    await page.locator('[data-test=park-trend-ratio][data-rendered=true]').waitFor()
    await page.screenshot({ path: shot('park-dashboard-en.png') })
    await page.locator('[data-test=lang-zh]').click()
    await page.locator('#tab-overview', { hasText: '园区指标' }).waitFor()
    assert.deepEqual(errors, [])
  }))

  test('the enterprise list searches and opens a profile', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/park?tab=enterprises')
    await page.locator('[data-test=park-ent-table]').waitFor()
    await page.locator('[data-test=park-ent-search]').fill('华兰')
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/park/enterprises?') && r.url().includes('q=')),
      page.locator('[data-test=park-ent-search]').press('Enter'),
    ])
    await page.locator('[data-test=park-ent-total]', { hasText: /^1$/ }).waitFor()
    await page.locator('[data-test=park-ent-table] tr', { hasText: '华兰生物疫苗有限公司' }).click()
    await page.waitForURL(/\/park\/enterprises\/[0-9A-Z]{26}$/)
    await page.locator('[data-test=park-profile-name]', { hasText: '华兰生物疫苗有限公司' }).waitFor()
    await page.locator('[data-test=park-profile-certs]', { hasText: '高新技术企业' }).waitFor()
    await page.locator('[data-test=park-profile-certs]', { hasText: '有效' }).waitFor()
    await page.locator('[data-test=park-profile-chart][data-rendered=true]').waitFor()
    await page.locator('[data-test=park-profile-requests]').waitFor()
    await page.locator('[data-test=park-profile-sharing]', { hasText: '向园区共享生产数据' }).waitFor()
    await page.screenshot({ path: shot('park-profile.png'), fullPage: true })
    await page.locator('[data-test=park-profile-back]').click()
    await page.locator('[data-test=park-ent-table]').waitFor()
    assert.deepEqual(errors, [])
  }))

  test('matching: declare, search suppliers, introduce; both requests reach the desk queue', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent2')
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/catalog')),
      page.goto('/park?tab=match'),
    ])
    // the demo catalogue, then one more purchase saved through the daemon
    await page.locator('[data-test=park-catalog-table] input[placeholder=C3055]').first().waitFor()
    const before = await page.locator('[data-test=park-catalog-table] tbody tr').count()
    await page.locator('[data-test=park-catalog-add]').click()
    const last = page.locator('[data-test=park-catalog-table] tbody tr').last()
    await last.locator('input[placeholder=C3055]').fill('C2915')
    await last.locator('input').nth(2).fill('覆膜胶塞')
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/catalog') && r.request().method() === 'PUT'),
      page.locator('[data-test=park-catalog-save]').click(),
    ])
    assert.equal(saved.status(), 200)
    assert.equal((await saved.json()).items.length, before + 1)

    await page.locator('[data-test=park-need]').fill('中硼硅玻璃西林瓶，疫苗分装用')
    await page.locator('[data-test=park-industry]').fill('C3055')
    const [found] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/park/match?')),
      page.locator('[data-test=park-match-search]').click(),
    ])
    const m = await found.json()
    assert.equal(m.items[0].enterprise_name, '渝北药用玻璃制品有限公司')
    const first = page.locator('[data-test=park-match-results] tbody tr').first()
    await first.locator('text=渝北药用玻璃制品有限公司').waitFor()
    await first.locator('text=园区内').waitFor()
    await first.locator('text=同小类').waitFor()
    await page.screenshot({ path: shot('park-match.png'), fullPage: true })

    await page.locator(`[data-test=park-introduce-${m.items[0].enterprise_id}]`).click()
    await page.locator('[data-test=park-intro-note]').fill('年需中硼硅西林瓶两千万支')
    const [made] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/park/introductions')),
      page.locator('[data-test=park-intro-send]').click(),
    ])
    assert.equal(made.status(), 201)
    const intro = await made.json()
    await page.locator('[data-test=park-intro-result]', { hasText: intro.buyer_request.no }).waitFor()
    await page.locator('[data-test=park-intro-result]', { hasText: intro.supplier_request.no }).waitFor()
    assert.deepEqual(errors, [])

    // the park admin's desk queue has both requests
    const admin = await ui.openPage(t)
    await ui.login(admin.page, 'admin')
    await admin.page.goto('/desk')
    await admin.page.locator(`[data-test=req-${intro.buyer_request.id}]`).waitFor()
    await admin.page.locator(`[data-test=req-${intro.supplier_request.id}]`).waitFor()
    await admin.page.locator('[data-test=desk-table] tr', { hasText: '产业链对接：与渝北药用玻璃制品有限公司' }).waitFor()
    await admin.page.locator('[data-test=desk-table] tr', { hasText: '产业链对接：与华兰生物疫苗有限公司' }).waitFor()
    assert.deepEqual(admin.errors, [])
  }))

  test('department staff see the dashboard only', ui.track(async (t) => {
    const { page } = await ui.openPage(t)
    await ui.login(page, 'dept_tax')
    await page.goto('/park')
    await page.locator('[data-test=park-overview]').waitFor()
    assert.equal(await page.locator('#tab-match').count(), 0)
    assert.equal(await page.locator('#tab-enterprises').count(), 0)
  }))
})
