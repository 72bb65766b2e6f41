// trace.test.mjs - the traceability pages: the pure rules in
// src/api/trace.js (code checks, Digital Link → EPC URN for the walk's
// path, graph data, timeline and recall rows) as tables, and in real
// headless Chromium against `parkline serve --demo`: a demo vial traced
// backward shows its raw lot in the graph and the timeline; the recall of
// that raw lot lists the vials and offers the CSV. Screenshots:
// docs/screenshots/trace.png, trace-timeline.png, trace-recall.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import {
  MAX_GRAPH_NODES, checkCode, digitalLinkToUrn, gs1CheckDigit, graphData, kindColor, OTHER_COLOR,
  inspectionOf, pathCode, recallCsvUrl, recallLocations, recallRows, shortLabel, timelineRows,
} from '../src/api/trace.js'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'

test('gs1CheckDigit matches published GS1 examples', () => {
  const cases = [
    ['629104150021', 3],       // GTIN-13 6291041500213 (GS1 check digit calculator example)
    ['061414112345', 2],       // GTIN-13 0614141123452 (GS1 General Specifications)
    ['0950600013435', 2],      // GTIN-14 09506000134352 (GS1 Digital Link standard)
    ['10614141123456789', 7],  // SSCC 106141411234567897 (GS1 General Specifications)
    ['950110153000', 3],       // GLN 9501101530003 (GS1 example GLN)
  ]
  for (const [d, c] of cases) assert.equal(gs1CheckDigit(d), c, d)
})

test('checkCode accepts the three code forms and names what is wrong otherwise', () => {
  const cases = [
    ['urn:epc:id:sgtin:0614141.812345.6789', { code: 'urn:epc:id:sgtin:0614141.812345.6789' }],
    ['  https://id.gs1.org/01/09506000134352/21/ABC ', { code: 'https://id.gs1.org/01/09506000134352/21/ABC' }],
    ['81234567890123456789', { code: '81234567890123456789' }],
    ['8123 4567 8901 2345 6789', { code: '81234567890123456789' }],
    ['1234567890', { error: 'trace.codeDigits' }],
    ['', { error: 'trace.codeRequired' }],
    ['   ', { error: 'trace.codeRequired' }],
    [null, { error: 'trace.codeRequired' }],
    ['urn:epc:id:sgtin:0614141 .812345.6789', { error: 'trace.codeSpaces' }],
    ['hello', { error: 'trace.codeForm' }],
    ['ftp://id.gs1.org/01/1', { error: 'trace.codeForm' }],
    ['urn:epc:' + 'x'.repeat(600), { error: 'trace.codeTooLong' }],
  ]
  for (const [input, want] of cases) assert.deepEqual(checkCode(input), want, String(input))
})

test('digitalLinkToUrn gives the same key as an EPC URN, check digit verified', () => {
  const cases = [
    // The demo park's identifiers (src/trace/repo_demo.c, prefix 6901234).
    ['https://id.gs1.org/01/' + '0690123400001' + gs1CheckDigit('0690123400001') + '/21/V0001',
      { urn: 'urn:epc:id:sgtin:6901234.000001.V0001' }],
    ['https://id.gs1.org/01/' + '0690123400002' + gs1CheckDigit('0690123400002') + '/10/API-2611A',
      { urn: 'urn:epc:class:lgtin:6901234.000002.API-2611A' }],
    ['https://id.gs1.org/00/' + '06901234000000001' + gs1CheckDigit('06901234000000001'),
      { urn: 'urn:epc:id:sscc:6901234.0000000001' }],
    ['https://id.gs1.org/8003/' + '0690123410001' + gs1CheckDigit('690123410001') + 'T01',
      { urn: 'urn:epc:id:grai:6901234.10001.T01' }],
    ['https://id.gs1.org/414/' + '690123400001' + gs1CheckDigit('690123400001') + '/254/L1-S1',
      { urn: 'urn:epc:id:sgln:6901234.00001.L1-S1' }],
    ['https://id.gs1.org/414/' + '690123400002' + gs1CheckDigit('690123400002'),
      { urn: 'urn:epc:id:sgln:6901234.00002.0' }],
    // GS1 Digital Link standard example, on another host with a path prefix.
    ['https://example.com/dl/01/09506000134352/21/A%2FB?x=1', { urn: 'urn:epc:id:sgtin:9506000.013435.A%2FB' }],
    ['https://id.gs1.org/01/09506000134352', { urn: 'urn:epc:idpat:sgtin:9506000.013435.*' }],
    // Wrong check digits and lengths are refused here, as the daemon would.
    ['https://id.gs1.org/01/09506000134353/21/ABC', { error: 'trace.codeCheck' }],
    ['https://id.gs1.org/01/0950600013435/21/ABC', { error: 'trace.codeCheck' }],
    ['https://id.gs1.org/00/106141411234567890', { error: 'trace.codeCheck' }],
    ['https://id.gs1.org/99/123', { error: 'trace.codeForm' }],
    ['https://id.gs1.org/01/%E0%A4%A', { error: 'trace.codeForm' }],
    ['not a url', { error: 'trace.codeForm' }],
  ]
  for (const [uri, want] of cases) assert.deepEqual(digitalLinkToUrn(uri), want, uri)
})

test('pathCode passes URNs and drug codes through and converts Digital Links', () => {
  const cases = [
    ['urn:epc:id:sgtin:0614141.812345.6789', { code: 'urn:epc:id:sgtin:0614141.812345.6789' }],
    ['81234567890123456789', { code: '81234567890123456789' }],
    ['https://id.gs1.org/01/09506000134352/21/ABC', { code: 'urn:epc:id:sgtin:9506000.013435.ABC' }],
    ['https://id.gs1.org/01/09506000134359/21/ABC', { error: 'trace.codeCheck' }],
  ]
  for (const [c, want] of cases) assert.deepEqual(pathCode(c), want, c)
})

test('graphData dedupes nodes, drops dangling edges, colours by kind and marks the root', () => {
  const body = {
    root: 'v1',
    nodes: [
      { id: 'v1', kind: 'unit', label: 'V0001' }, { id: 'b', kind: 'lot', label: 'B261102' },
      { id: 'v1', kind: 'unit', label: 'dup' }, { id: 't', kind: 'asset' }, { id: 'x', kind: 'weird' },
      null, { kind: 'unit' },
    ],
    edges: [
      { from: 'b', to: 'v1', kind: 'transformation' }, { from: 't', to: 'v1', kind: 'aggregation' },
      { from: 'gone', to: 'v1' }, null,
    ],
  }
  const g = graphData(body)
  assert.deepEqual(g.nodes.map((n) => [n.id, n.name, n.kind, n.symbolSize, n.itemStyle.color]), [
    ['v1', 'v1', 'unit', 34, kindColor('unit')],
    ['b', 'b', 'lot', 20, kindColor('lot')],
    ['t', 't', 'asset', 20, kindColor('asset')],
    ['x', 'x', 'weird', 20, OTHER_COLOR],
  ])
  assert.deepEqual(g.links, [
    { source: 'b', target: 'v1', value: 'transformation' }, { source: 't', target: 'v1', value: 'aggregation' },
  ])
  assert.deepEqual(g.legend, ['unit', 'lot', 'asset', 'other'])
  for (const n of g.nodes) assert.equal(g.categories[n.category].name, n.kind === 'weird' ? 'other' : n.kind)
  assert.equal(g.truncated, false)
  const empty = graphData(null)
  assert.deepEqual([empty.nodes, empty.links, empty.legend], [[], [], []])
  const many = graphData({ nodes: Array.from({ length: MAX_GRAPH_NODES + 5 }, (_, i) => ({ id: 'n' + i, kind: 'unit' })) })
  assert.equal(many.nodes.length, MAX_GRAPH_NODES)
  assert.equal(many.truncated, true)
})

test('shortLabel names a node by its serial, lot or container part', () => {
  const cases = [
    ['https://id.gs1.org/01/06901234000016/21/V0001', 'V0001'],
    ['https://id.gs1.org/01/06901234000023/10/API-2611A', 'API-2611A'],
    ['https://id.gs1.org/00/069012340000000016', '069012340000000016'],
    ['https://id.gs1.org/8003/06901234100013T01', '06901234100013T01'],
    ['https://id.gs1.org/414/6901234000016/254/L1-S1', 'L1-S1'],
    ['https://id.gs1.org/01/09506000134352/21/A%2FB', 'A/B'],
    ['https://id.parkline.invalid/cn-drug/81234567890123456789', 'https://id.parkline.invalid/cn-drug/81234567890123456789'],
    ['urn:epc:id:sgtin:0614141.812345.6789', '0614141.812345.6789'],
    [42, ''],
  ]
  for (const [id, want] of cases) assert.equal(shortLabel(id), want, String(id))
})

test('timelineRows reads the walk timeline (or raw events), oldest first, CBV words bare', () => {
  const walk = {
    timeline: [
      { time: '2026-11-02T02:00:00.000Z', type: 'ObjectEvent', action: 'OBSERVE', biz_step: 'inspecting',
        disposition: 'https://ref.gs1.org/cbv/Disp-conformant', read_point: 'https://id.gs1.org/414/x', event_id: 'e2' },
      { time: '2026-11-02T00:00:00.000Z', type: 'TransformationEvent', biz_step: 'https://ref.gs1.org/cbv/BizStep-commissioning', event_id: 'e1' },
    ],
  }
  assert.deepEqual(timelineRows(walk), [
    { time: '2026-11-02T00:00:00.000Z', type: 'TransformationEvent', action: '', bizStep: 'commissioning', disposition: '', readPoint: '', eventId: 'e1', inspection: null },
    { time: '2026-11-02T02:00:00.000Z', type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'inspecting', disposition: 'conformant', readPoint: 'https://id.gs1.org/414/x', eventId: 'e2', inspection: null },
  ])
  const raw = { timeline: [], events: [{ eventTime: '2026-11-02T00:00:00Z', type: 'ObjectEvent', bizStep: 'shipping', readPoint: { id: 'urn:epc:id:sgln:1.2.3' }, eventID: 'ni:x' }] }
  assert.deepEqual(timelineRows(raw), [
    { time: '2026-11-02T00:00:00Z', type: 'ObjectEvent', action: '', bizStep: 'shipping', disposition: '', readPoint: 'urn:epc:id:sgln:1.2.3', eventId: 'ni:x', inspection: null },
  ])
  assert.deepEqual(timelineRows(null), [])
  assert.deepEqual(timelineRows({ timeline: 'x' }), [])
})

test('inspectionOf reads a verdict\'s pl:inspection member, images on this site apart', () => {
  const ev = {
    type: 'ObjectEvent',
    'pl:inspection': {
      verdict: 'reject', confidence: 0.9, fillMm: 14.1,
      reasons: [{ class: 'particle', confidence: 0.8, view: 6, sizeUm: 249, detail: 'd' }, 'junk', { class: 3, view: 1.5 }],
      images: ['/demo/vision/a.png', 'file:///line/out/rejects/u1/overlay.png', 'https://node/x/v00-f0.png?s=1', '//evil/x.png', 7, ''],
    },
  }
  assert.deepEqual(inspectionOf(ev), {
    verdict: 'reject', confidence: 0.9, fillMm: 14.1,
    reasons: [
      { class: 'particle', confidence: 0.8, view: 6, sizeUm: 249, detail: 'd' },
      { class: '', confidence: null, view: null, sizeUm: null, detail: '' },
    ],
    images: [
      { url: '/demo/vision/a.png', name: 'vision/a.png', local: true },
      { url: 'file:///line/out/rejects/u1/overlay.png', name: 'u1/overlay.png', local: false },
      { url: 'https://node/x/v00-f0.png?s=1', name: 'x/v00-f0.png', local: false },
      { url: '//evil/x.png', name: 'evil/x.png', local: false },
    ],
  })
  const expanded = { 'https://parkline.example/epcis/vision/inspection': { verdict: 'accept' } }
  assert.equal(inspectionOf(expanded).verdict, 'accept')
  for (const none of [null, {}, { 'pl:inspection': 'x' }, { 'pl:inspection': [] }]) assert.equal(inspectionOf(none), null)
  // a timeline entry carries its event's body under "event"
  const rows = timelineRows({ timeline: [{ time: '2026-11-02T02:05:00Z', type: 'ObjectEvent', event: ev }] })
  assert.equal(rows[0].inspection.reasons[0].sizeUm, 249)
})

test('recallRows reads units with their last location and disposition', () => {
  const cases = [
    [{ total: 1, units: [{ id: 'u1', label: 'V1', location: 'https://id.gs1.org/414/w', location_time: '2026-11-02T08:00:00.000Z', disposition: 'in_transit' }] },
      [{ id: 'u1', kind: '', label: 'V1', location: 'https://id.gs1.org/414/w', disposition: 'in_transit', time: '2026-11-02T08:00:00.000Z' }]],
    [{ items: [{ epc: 'u2', location: null, disposition: 'https://ref.gs1.org/cbv/Disp-destroyed', disposition_time: 't' }] },
      [{ id: 'u2', kind: '', label: '', location: '', disposition: 'destroyed', time: 't' }]],
    [{ units: [] }, []],
    [null, []],
  ]
  for (const [body, want] of cases) assert.deepEqual(recallRows(body), want, JSON.stringify(body))
  // units per last location: most first, ties by location, "unknown" as ''
  const loc = (location, n, share) => ({ location, n, share })
  assert.deepEqual(recallLocations({ by_location: { 'https://id.gs1.org/414/b': 2, unknown: 1, 'https://id.gs1.org/414/a': 2, bad: 'x', zero: 0 } }),
    [loc('https://id.gs1.org/414/a', 2, 0.4), loc('https://id.gs1.org/414/b', 2, 0.4), loc('', 1, 0.2)])
  assert.deepEqual(recallLocations({ units: [] }, [{ location: 'w' }, { location: '' }, { location: 'w' }]),
    [loc('w', 2, 2 / 3), loc('', 1, 1 / 3)])
  assert.deepEqual(recallLocations(null, []), [])
  assert.equal(recallCsvUrl('https://id.gs1.org/01/1/10/A B'),
    '/api/v1/trace/recall?code=https%3A%2F%2Fid.gs1.org%2F01%2F1%2F10%2FA+B&format=csv')
})

// ------------------------------------------------------------- in Chromium

describe('trace pages in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)
  // The demo story (src/trace/repo_demo.c): vial 1 of batch B261102, made
  // from raw lot API-2611A.
  const gtin = (ref) => '0690123400' + ref + gs1CheckDigit('0690123400' + ref)
  const VIAL = `https://id.gs1.org/01/${gtin('001')}/21/V0001`
  const RAW_LOT = `https://id.gs1.org/01/${gtin('002')}/10/API-2611A`

  test('a demo vial traced backward shows its raw lot in the graph and the timeline', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/trace')
    await page.locator('[data-test=trace-code]').fill(VIAL)
    await page.locator('[data-test=trace-dir-backward]').click()
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/trace\/[^/]+\/backward$/.test(r.url())),
      page.locator('[data-test=trace-run]').click(),
    ])
    assert.equal(res.status(), 200, await res.text())
    await page.locator('[data-test=trace-graph][data-rendered=true] canvas').waitFor()
    await page.locator('[data-test=trace-lots]', { hasText: 'API-2611A' }).waitFor()
    const timeline = page.locator('[data-test=trace-timeline]')
    await timeline.locator('tr', { hasText: /TransformationEvent/ }).first().waitFor()
    // Beijing time: the demo's first event is 08:00 +08:00 on 2 November.
    assert.match(await timeline.innerText(), /2026年11月2日 08:00:00/)
    await page.screenshot({ path: shot('trace.png') })
    await timeline.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('trace-timeline.png') })
    assert.deepEqual(errors, [])
  }))

  test('the rejected demo vial shows its verdict, reason and images along its path', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/trace?code=' + encodeURIComponent(VIAL.replace('V0001', 'V0007')) + '&dir=backward')
    const timeline = page.locator('[data-test=trace-timeline]')
    const verdict = timeline.locator('[data-test=trace-verdict]', { hasText: '剔除' })
    await verdict.waitFor()
    assert.match(await verdict.innerText(), /94%/)
    const row = timeline.locator('tr.tx-inspected', { hasText: '剔除' })
    assert.match(await row.innerText(), /可见异物/)
    await row.locator('.el-table__expand-icon').click()
    const detail = timeline.locator('[data-test=trace-inspection]')
    await detail.waitFor()
    const reason = detail.locator('[data-test=trace-reasons] .el-table__body tr')
    assert.equal(await reason.count(), 1)
    assert.match(await reason.innerText(), /可见异物\s+249\s+6\s+94%/)
    assert.match(await detail.innerText(), /液位 14\.13 mm/)
    // both images load from this site (the demo's, shipped with the UI)
    const imgs = detail.locator('[data-test=trace-image] img')
    await imgs.nth(1).waitFor()
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=trace-image] img')]
      .every((i) => i.complete && i.naturalWidth > 0))
    assert.equal(await imgs.count(), 2)
    await detail.scrollIntoViewIfNeeded()
    await page.screenshot({ path: shot('trace-inspection.png') })
    assert.deepEqual(errors, [])
  }))

  test('a mistyped check digit is refused before any request', ui.track(async (t) => {
    const { page } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/trace')
    await page.locator('[data-test=trace-code]').fill(VIAL.replace(/(\d)(\/21\/)/, (m, d, s) => ((Number(d) + 1) % 10) + s))
    let asked = false
    page.on('request', (r) => { if (/\/api\/v1\/trace\//.test(r.url())) asked = true })
    await page.locator('[data-test=trace-run]').click()
    await page.locator('[data-test=trace-error]', { hasText: '校验位' }).waitFor()
    assert.equal(asked, false)
  }))

  test('the recall of the raw lot lists the vials and offers CSV', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/trace?tab=recall')
    await page.locator('[data-test=recall-code]').fill(RAW_LOT)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/trace/recall')),
      page.locator('[data-test=recall-run]').click(),
    ])
    assert.equal(res.status(), 200, await res.text())
    const body = await res.json()
    assert.ok(body.total >= 1, `recall total ${body.total}`)
    await page.locator('[data-test=recall-total]', { hasText: String(body.total) }).waitFor()
    await page.locator('[data-test=recall-table] tr', { hasText: 'V0001' }).first().waitFor()
    assert.match(await page.locator('[data-test=recall-table]').innerText(), /运输中/)
    // units per last location, as the daemon counted them, most first
    const places = page.locator('[data-test=recall-places]')
    await places.waitFor()
    const want = Object.entries(body.by_location).sort((a, b) => b[1] - a[1])
    const names = await places.locator('[data-test=recall-place]').evaluateAll((els) => els.map((e) => e.dataset.location))
    const counts = (await places.locator('[data-test=recall-place-n]').allInnerTexts()).map(Number)
    assert.deepEqual(counts, want.map(([, n]) => n))
    assert.deepEqual(new Set(names), new Set(want.map(([l]) => (l === 'unknown' ? '' : l))))
    assert.ok(want.length >= 2, `the demo lot's units sit in more than one place: ${JSON.stringify(body.by_location)}`)
    // a click on the last place lists its units only; "show all" undoes it
    await places.locator('[data-test=recall-place]').last().click()
    await page.locator('[data-test=recall-filter]').waitFor()
    const only = counts[counts.length - 1]
    const pageRows = page.locator('[data-test=recall-table] .el-table__body tr')
    assert.equal(await pageRows.count(), Math.min(only, 20))
    for (const text of await pageRows.allInnerTexts()) assert.ok(text.includes(names[names.length - 1]), text)
    await page.screenshot({ path: shot('trace-recall-place.png') })
    await page.locator('[data-test=recall-show-all]').click()
    await page.locator('[data-test=recall-filter]').waitFor({ state: 'detached' })
    assert.equal(await pageRows.count(), Math.min(body.total, 20))
    assert.equal(await page.locator('[data-test=recall-truncated]').count(), body.truncated ? 1 : 0)
    const href = await page.locator('[data-test=recall-csv]').getAttribute('href')
    const csv = await page.context().request.get(href)
    assert.equal(csv.status(), 200)
    assert.match(csv.headers()['content-type'] || '', /text\/csv/)
    assert.match(await csv.text(), /V0001/)
    await page.screenshot({ path: shot('trace-recall.png') })
    assert.deepEqual(errors, [])
  }))
})
