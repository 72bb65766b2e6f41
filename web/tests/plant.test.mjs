// plant.test.mjs - the plant model page (工厂模型, views/plant/PlantView.vue,
// docs/line.md "Plant model").
//
// Pure helpers of api/plant.js as tables in node (the tree for ElTree, clock
// times, shift rows with planned stops, the ideal rate, product rows), then
// the page in real headless Chromium against `parkline serve --demo`:
//   - ent1 sees its site 涪陵生产基地 with 无菌制剂车间 and 包装车间, the
//     filling line's four machines in line order, picks the line and sees
//     its plan: the product, 500 ms, three shifts with the 30-minute breaks
//     (早班 08:00–16:00, stop 12:00–12:30, 450 planned minutes), picks the
//     灯检机 and sees its kind and position; the English switch relabels it;
//   - ent2 (no plant) sees the empty state; department staff have no menu.
// Waits only on selectors. Screenshots: docs/screenshots/plant-model.png,
// plant-model-en.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'
import { clock, idealRate, plantTree, productRows, shiftRows, versionRows } from '../src/api/plant.js'

const LINE = (id, machines = []) => ({ id, name: `L${id}`, machines, plan: null })
const SAMPLE = {
  items: [{
    enterprise_id: 'E1', name: '甲',
    sites: [{ id: 'S1', name: '厂区', areas: [{ id: 'A1', name: '车间', lines: [LINE('1', [{ id: 'M1', name: '灌装机 1' }, { id: 'M2', name: '轧盖机 1' }])] }] }],
    unassigned_lines: [LINE('2')],
    products: [{ id: 'P1', gtin: '96385074', name: '小瓶', ideal_cycle_ms: 500 }],
  }],
}

describe('plant helpers', () => {
  test('plantTree nests site, area, line, machine; lines without area follow the sites', () => {
    const cases = [
      [null, []], [{}, []], [{ items: [] }, []],
      [SAMPLE, [['site:S1', [['area:A1', [['line:1', [['machine:M1', []], ['machine:M2', []]]]]]]], ['line:2', []]]],
      [{ items: [SAMPLE.items[0], { enterprise_id: 'E2', name: '乙', sites: [], unassigned_lines: [], products: [] }] },
        [['enterprise:E1', [['site:S1', [['area:A1', [['line:1', [['machine:M1', []], ['machine:M2', []]]]]]]], ['line:2', []]]],
          ['enterprise:E2', []]]],
    ]
    const shape = (nodes) => nodes.map((n) => [n.key, shape(n.children)])
    for (const [answer, want] of cases) assert.deepEqual(shape(plantTree(answer)), want, JSON.stringify(answer))
    const t = plantTree(SAMPLE)
    assert.deepEqual([t[0].kind, t[0].label, t[0].children[0].children[0].kind], ['site', '厂区', 'line'])
  })

  test('clock turns minutes after midnight into HH:MM, wrapping', () => {
    const cases = [[0, '00:00'], [480, '08:00'], [720, '12:00'], [1439, '23:59'], [1440, '00:00'], [1470, '00:30'],
      [-60, '23:00'], [1.5, '—'], [null, '—'], ['480', '—']]
    for (const [m, want] of cases) assert.equal(clock(m), want, String(m))
  })

  test('shiftRows: span, planned stops and planned busy minutes', () => {
    const plan = { calendar: { utc_offset_min: 480, shifts: [
      { name: '早班', start_min: 480, length_min: 480, stops: [{ offset_min: 240, length_min: 30 }] },
      { name: '夜班', start_min: 1320, length_min: 480, stops: [{ offset_min: 60, length_min: 15 }, { offset_min: 300, length_min: 45 }] },
      { name: '短班', start_min: 0, length_min: 60 },
    ] } }
    assert.deepEqual(shiftRows(plan), [
      { name: '早班', span: '08:00–16:00', stops: ['12:00–12:30'], planned: 450 },
      { name: '夜班', span: '22:00–06:00', stops: ['23:00–23:15', '03:00–03:45'], planned: 420 },
      { name: '短班', span: '00:00–01:00', stops: [], planned: 60 },
    ])
    for (const bad of [null, {}, { calendar: {} }, { calendar: { shifts: 'x' } }]) assert.deepEqual(shiftRows(bad), [])
  })

  test('idealRate is units per hour at the ideal cycle time', () => {
    const cases = [[500, 7200], [1000, 3600], [333, 10811], [0, null], [-5, null], [null, null], ['500', null]]
    for (const [ms, want] of cases) assert.equal(idealRate(ms), want, String(ms))
  })

  test('versionRows: newest first, 0 is since always, the first is in force', () => {
    const plan = { versions: [
      { valid_from: 1767571200000, product: '乙', ideal_cycle_ms: 1000 },
      { valid_from: 0, product: '甲', ideal_cycle_ms: 500 },
    ] }
    assert.deepEqual(versionRows(plan), [
      { since: 1767571200000, product: '乙', ideal_cycle_ms: 1000, current: true },
      { since: null, product: '甲', ideal_cycle_ms: 500, current: false },
    ])
    for (const bad of [null, {}, { versions: 'x' }]) assert.deepEqual(versionRows(bad), [])
  })

  test('productRows lists every visible enterprise\'s products with its name', () => {
    assert.deepEqual(productRows(SAMPLE).map((p) => [p.gtin, p.enterprise]), [['96385074', '甲']])
    assert.deepEqual(productRows(null), [])
  })
})

describe('plant page in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)

  test('an enterprise user sees its plant, a line\'s plan and a machine', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.locator('[data-test=menu-plant]', { hasText: '工厂模型' }).click()
    const tree = page.locator('[data-test=plant-tree]')
    await tree.locator('[data-test=plant-node-site]', { hasText: '涪陵生产基地' }).waitFor()
    await tree.locator('[data-test=plant-node-area]', { hasText: '无菌制剂车间' }).waitFor()
    await tree.locator('[data-test=plant-node-area]', { hasText: '包装车间' }).waitFor()
    const machines = await tree.locator('[data-test=plant-node-machine]').allInnerTexts()
    assert.equal(machines.length, 7)
    const fill = machines.filter((m) => /洗瓶机|灌装机|轧盖机|灯检机/.test(m)).map((m) => m.match(/(洗瓶机|灌装机|轧盖机|灯检机) 1/)[1])
    assert.deepEqual(fill, ['洗瓶机', '灌装机', '轧盖机', '灯检机'], 'the filling line in line order')

    await tree.locator('[data-test=plant-node-line]', { hasText: '灌装线 1' }).click()
    const detail = page.locator('[data-test=plant-detail]')
    await detail.locator('[data-test=plant-plan-product]', { hasText: '注射用头孢曲松钠' }).waitFor()
    await detail.locator('[data-test=plant-plan-cycle]', { hasText: '500 ms' }).waitFor()
    const rows = detail.locator('[data-test=plant-shifts] .el-table__body tr')
    await rows.first().waitFor()
    assert.equal(await rows.count(), 3)
    const early = await rows.filter({ hasText: '早班' }).innerText()
    assert.match(early, /08:00–16:00/)
    assert.match(early, /12:00–12:30/)
    assert.match(early, /450 分钟/)
    // the demo plan, in force since the start and now
    const ver = detail.locator('[data-test=plant-versions] .el-table__body tr')
    await ver.first().waitFor()
    assert.match(await ver.first().innerText(), /最初起[\s\S]*当前[\s\S]*注射用头孢曲松钠[\s\S]*500 ms/)
    await page.screenshot({ path: shot('plant-model.png') })

    await tree.locator('[data-test=plant-node-machine]', { hasText: '灯检机 1' }).click()
    const m = page.locator('[data-test=plant-machine]')
    await m.getByText('INSP-1').waitFor()
    assert.match(await m.innerText(), /4/)
    await page.locator('[data-test=plant-products] .el-table__body tr', { hasText: '06901234000016' }).waitFor()

    await page.locator('[data-test=lang-en]').click()
    await tree.locator('[data-test=plant-node-site]', { hasText: 'Site' }).first().waitFor()
    await tree.locator('[data-test=plant-node-line]', { hasText: 'Filling line 1' }).click()
    await detail.getByText('Planned stops').waitFor()
    await detail.locator('[data-test=plant-shifts] .el-table__body tr', { hasText: '450 min' }).first().waitFor()
    await page.screenshot({ path: shot('plant-model-en.png') })
    assert.deepEqual(errors, [])
  }))

  test('an enterprise without a plant sees the empty state; department staff have no menu', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent2')
    await page.goto('/plant')
    await page.locator('[data-test=plant-empty]', { hasText: '尚无工厂模型' }).waitFor()
    assert.equal(await page.locator('[data-test=plant-tree]').count(), 0)
    assert.deepEqual(errors, [])
    const other = await ui.openPage(t)
    await ui.login(other.page, 'dept_tax')
    assert.equal(await other.page.locator('[data-test=menu-plant]').count(), 0)
  }))
})
