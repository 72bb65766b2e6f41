// desk.test.mjs - the service desk pages: the pure rules in src/api/desk.js
// (state colours, overdue, which buttons allowed_actions become, the rating
// body, leaderboard shares, queue paging) as tables, and the whole request
// story in real headless Chromium against `parkline serve --demo`:
// ent1 raises a request and sees it in the queue; specialist1 accepts and
// resolves it; ent1 rates it 满意; a refused action shows the daemon's
// problem detail. The browser tests are one story and run in order.
// Screenshots: docs/screenshots/desk-{queue,drawer,rated,scores,replacements-en}.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import {
  MAX_PAGE, actionButtons, dueOf, isOverdue, queueQuery, ratingBody, scoreRows, stateTagType,
} from '../src/api/desk.js'
import { REPO } from './daemon.mjs'
import { request } from 'playwright-core'
import { PASSWORD, openBrowserSuite } from './ui.mjs'

test('stateTagType colours states by what they ask of people', () => {
  const cases = [
    ['received', 'info'], ['dispatched', 'info'], ['accepted', 'primary'], ['in_progress', 'primary'],
    ['transferred', 'primary'], ['extension_requested', 'warning'], ['escalated', 'danger'],
    ['resolved', 'success'], ['rated', 'success'], ['reopened', 'warning'], ['closed', 'info'],
    ['something_new', 'info'], [undefined, 'info'],
  ]
  for (const [state, type] of cases) assert.equal(stateTagType(state), type, String(state))
})

test('isOverdue trusts the daemon flag, else compares due_at, never for done work', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0)
  const cases = [
    [{ state: 'accepted', due_at: '2026-11-25T11:59:59Z' }, true],
    [{ state: 'accepted', due_at: '2026-11-25T12:00:01Z' }, false],
    [{ state: 'accepted', due_at: '2026-11-25T13:00:00Z', overdue: true }, true],
    [{ state: 'accepted', due_at: '2026-11-25T10:00:00Z', overdue: false }, false],
    [{ state: 'resolved', due_at: '2020-01-01T00:00:00Z', overdue: true }, false],
    [{ state: 'rated', due_at: '2020-01-01T00:00:00Z' }, false],
    [{ state: 'closed', due_at: '2020-01-01T00:00:00Z' }, false],
    [{ state: 'dispatched', due_at: null }, false],
    [{ state: 'dispatched', due_at: null, sign_due_at: '2026-11-25T11:00:00Z' }, true],
    [{ state: 'dispatched', due_at: null, sign_due_at: '2026-11-25T13:00:00Z' }, false],
    [{ state: 'in_progress', due_at: '2026-11-25T13:00:00Z', sign_due_at: '2026-11-25T11:00:00Z' }, false],
    [{ state: 'dispatched', due_at: 'not a time' }, false],
    [null, false],
  ]
  for (const [req, want] of cases) assert.equal(isOverdue(req, now), want, JSON.stringify(req))
})

test('dueOf picks the resolve deadline, else the sign deadline', () => {
  const cases = [
    [{ due_at: '2026-11-26T00:00:00Z', sign_due_at: '2026-11-25T00:00:00Z' }, '2026-11-26T00:00:00Z'],
    [{ due_at: null, sign_due_at: '2026-11-25T00:00:00Z' }, '2026-11-25T00:00:00Z'],
    [{ due_at: '', sign_due_at: '' }, null],
    [{}, null],
    [null, null],
  ]
  for (const [req, want] of cases) assert.equal(dueOf(req), want, JSON.stringify(req))
})

test('actionButtons turns allowed_actions into buttons, text forms and the rating form', () => {
  const cases = [
    [['accept'], [{ action: 'accept', needs: null }], false],
    [['start', 'transfer', 'resolve', 'request_extension'], [
      { action: 'start', needs: null }, { action: 'transfer', needs: 'department' },
      { action: 'resolve', needs: 'resolution' }, { action: 'request_extension', needs: 'extension' }], false],
    [['rate'], [], true],
    [['rate_satisfied', 'rate_basic', 'rate_unsatisfied', 'close'], [{ action: 'close', needs: null }], true],
    [['return', 'resolve'], [{ action: 'return', needs: 'note' }, { action: 'resolve', needs: 'resolution' }], false],
    // Junk from a broken answer is dropped, not rendered.
    [[42, null, '<script>', 'x'.repeat(41), 'accept'], [{ action: 'accept', needs: null }], false],
    [null, [], false],
    ['accept', [], false],
  ]
  for (const [allowed, buttons, rate] of cases) {
    assert.deepEqual(actionButtons(allowed), { buttons, rate }, JSON.stringify(allowed))
  }
})

test('ratingBody sends one rate action when the daemon lists any rating', () => {
  const ok = [
    [['rate'], 'satisfied', '  很好  ', { action: 'rate', rating: 'satisfied', comment: '很好' }],
    [['rate'], 'unsatisfied', 'slow', { action: 'rate', rating: 'unsatisfied', comment: 'slow' }],
    [['rate_satisfied', 'rate_basic', 'rate_unsatisfied'], 'basically_satisfied', '',
      { action: 'rate', rating: 'basically_satisfied' }],
    [['rate_satisfied'], 'satisfied', undefined, { action: 'rate', rating: 'satisfied' }],
  ]
  for (const [allowed, rating, comment, want] of ok) assert.deepEqual(ratingBody(allowed, rating, comment), want)
  const bad = [
    [['rate'], 'great', /unknown rating/],
    [['accept'], 'satisfied', /not allowed/],
    [null, 'satisfied', /not allowed/],
    [['rate_satisfied'], 'unsatisfied', /not allowed/],
  ]
  for (const [allowed, rating, re] of bad) assert.throws(() => ratingBody(allowed, rating, ''), re)
})

test('scoreRows computes the satisfied share and keeps "no ratings" apart from 0', () => {
  const cases = [
    [[{ specialist_id: 's1', name: '张三', rated: 4, satisfied: 3, share: 0.75 }],
      [{ id: 's1', name: '张三', rated: 4, satisfied: 3, pct: 75 }]],
    [{ items: [{ specialist_id: 's2', name: 'B', rated: 3, satisfied: 1 }] },
      [{ id: 's2', name: 'B', rated: 3, satisfied: 1, pct: 33.3 }]],
    [[{ specialist_id: 's3', name: 'C', rated: 0, satisfied: 0, share: null }],
      [{ id: 's3', name: 'C', rated: 0, satisfied: 0, pct: null }]],
    [[{ specialist_id: 's4', rated: 5, satisfied: 0 }], [{ id: 's4', name: 's4', rated: 5, satisfied: 0, pct: 0 }]],
    // Share alone, as a fraction, a percentage or basis points.
    [[{ specialist_id: 'a', name: 'a', share: 0.5 }], [{ id: 'a', name: 'a', rated: 0, satisfied: 0, pct: 50 }]],
    [[{ specialist_id: 'a', name: 'a', share: 62.5 }], [{ id: 'a', name: 'a', rated: 0, satisfied: 0, pct: 62.5 }]],
    [[{ specialist_id: 'a', name: 'a', share: 8000 }], [{ id: 'a', name: 'a', rated: 0, satisfied: 0, pct: 80 }]],
    [null, []],
    [{ items: 'nope' }, []],
    [[null, 3], []],
  ]
  for (const [body, want] of cases) assert.deepEqual(scoreRows(body), want, JSON.stringify(body))
})

test('queueQuery drops empty filters and clamps paging', () => {
  const cases = [
    [{}, { limit: 20, offset: 0 }],
    [{ state: 'accepted', urgency: '', q: '  水 ', page: 3, size: 10 }, { limit: 10, offset: 20, state: 'accepted', q: '水' }],
    [{ enterprise_id: 'e1', urgency: 'critical' }, { limit: 20, offset: 0, urgency: 'critical', enterprise_id: 'e1' }],
    [{ page: 0, size: 100000 }, { limit: MAX_PAGE, offset: 0 }],
    [{ page: -5, size: -1 }, { limit: 1, offset: 0 }],
    [{ page: 'x', size: 'y', q: '   ' }, { limit: 20, offset: 0 }],
  ]
  for (const [filters, want] of cases) assert.deepEqual(queueQuery(filters), want, JSON.stringify(filters))
})

// ------------------------------------------------------------- in Chromium

describe('desk pages in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)
  const title = `园区道路积水 ${process.pid}-${Date.now()}`

  // Opens the drawer of the test's request from the queue.
  async function openRequest(page) {
    await page.goto('/desk')
    await page.locator('[data-test=desk-table]').waitFor()
    await page.locator('[data-test=filter-q]').fill(title)
    await page.locator('[data-test=desk-search]').click()
    await page.locator('[data-test=desk-table] tr', { hasText: title }).click()
    await page.locator('[data-test=drawer-title]', { hasText: title }).waitFor()
  }

  // Clicks an action button and waits for the daemon's answer.
  async function act(page, selector) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/desk\/requests\/[^/]+\/actions$/.test(r.url()) && r.request().method() === 'POST'),
      page.locator(selector).click(),
    ])
    return res
  }

  test('ent1 raises a request and sees it in the queue', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/desk')
    await page.locator('[data-test=desk-table]').waitFor()
    await page.locator('[data-test=desk-new]').click()
    await page.locator('[data-test=new-title]').fill(title)
    await page.locator('[data-test=new-description]').fill('A 区 3 号路口积水严重，影响货车进出，请协调处理。')
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/requests') && r.request().method() === 'POST'),
      page.locator('[data-test=new-submit]').click(),
    ])
    assert.equal(res.status(), 201, await res.text())
    // The new request opens in the drawer, auto-dispatched to the specialist.
    await page.locator('[data-test=drawer-title]', { hasText: title }).waitFor()
    await page.locator('[data-test=drawer-state]', { hasText: '已派单' }).waitFor()
    await page.keyboard.press('Escape')
    const row = page.locator('[data-test=desk-table] tr', { hasText: title })
    await row.waitFor()
    assert.match(await row.innerText(), /太极|Taiji/)
    await page.screenshot({ path: shot('desk-queue.png') })
    assert.deepEqual(errors, [])
  }))

  test('specialist1 accepts and resolves it; a refused action shows the reason', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'specialist1')
    await openRequest(page)
    let res = await act(page, '[data-test=act-accept]')
    assert.equal(res.status(), 200, await res.text())
    await page.locator('[data-test=drawer-state]', { hasText: '已签收' }).waitFor()
    await page.locator('[data-test=act-start]').waitFor()
    // Someone else starts the work meanwhile (the same specialist in another
    // session), so the drawer's 开始办理 button is stale: the daemon answers
    // 409 and the drawer shows its detail, then reloads the request.
    const other = await request.newContext({ baseURL: ui.url })
    t.after(() => other.dispose())
    const login = await other.post('/api/v1/auth/login', { data: { username: 'specialist1', password: PASSWORD } })
    assert.equal(login.status(), 200)
    const { csrf_token: csrf } = await login.json()
    const id = await page.evaluate(async (tt) => {
      const r = await fetch('/api/v1/desk/requests?q=' + encodeURIComponent(tt))
      return (await r.json()).items[0].id
    }, title)
    const started = await other.post(`/api/v1/desk/requests/${id}/actions`, { data: { action: 'start' }, headers: { 'X-CSRF-Token': csrf } })
    assert.equal(started.status(), 200, await started.text())
    res = await act(page, '[data-test=act-start]')
    assert.equal(res.status(), 409)
    const problem = await res.json()
    assert.match(problem.detail, /in_progress/)
    const alert = page.locator('[data-test=action-error]')
    await alert.waitFor()
    assert.equal((await alert.innerText()).trim(), problem.detail.trim())
    await page.locator('[data-test=drawer-state]', { hasText: '办理中' }).waitFor()
    // 办结 needs the resolution (docs/desk.md section 2).
    await page.locator('[data-test=act-resolve]').click()
    await page.locator('[data-test=action-text]').fill('已联系市政疏通排水管，路口积水已排除。')
    res = await act(page, '[data-test=action-confirm]')
    assert.equal(res.status(), 200, await res.text())
    await page.locator('[data-test=drawer-state]', { hasText: '已办结' }).waitFor()
    await page.locator('[data-test=drawer-history]', { hasText: '办结' }).waitFor()
    await page.screenshot({ path: shot('desk-drawer.png') })
    // The refused click logged its 409 in the console; nothing else may fail.
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [])
  }))

  test('ent1 rates it 满意', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await openRequest(page)
    await page.locator('[data-test=rate-form]').waitFor()
    await page.locator('[data-test=rate-satisfied]').click()
    await page.locator('[data-test=rate-comment]').fill('处理及时，非常满意。')
    const res = await act(page, '[data-test=rate-submit]')
    assert.equal(res.status(), 200, await res.text())
    await page.locator('[data-test=drawer-rating]', { hasText: '满意' }).waitFor()
    await page.locator('[data-test=drawer-state]', { hasText: '已评价' }).waitFor()
    assert.equal(await page.locator('[data-test=rate-form]').count(), 0)
    await page.screenshot({ path: shot('desk-rated.png') })
    assert.deepEqual(errors, [])
  }))

  test('the desk speaks English after the switch', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/desk')
    await page.locator('[data-test=desk-table]').waitFor()
    await page.locator('[data-test=lang-en]').click()
    await page.locator('[data-test=desk-new]', { hasText: 'New request' }).waitFor()
    const table = await page.locator('[data-test=desk-table]').innerText()
    for (const word of ['Number', 'Enterprise', 'Urgency', 'State', 'Due']) assert.ok(table.includes(word), `${word} in ${table.slice(0, 200)}`)
    // The admin sees the replacement queue tab, with the demo's pending request.
    await page.locator('.el-tabs__item', { hasText: 'Replacement requests' }).click()
    await page.locator('[data-test=replacements] tr', { hasText: 'Open' }).waitFor()
    await page.screenshot({ path: shot('desk-replacements-en.png') })
    assert.deepEqual(errors, [])
  }))

  test('the leaderboard draws the satisfaction chart', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/desk?tab=scores')
    await page.locator('[data-test=score-chart][data-rendered=true] canvas').waitFor()
    await page.locator('[data-test=score-table] tr', { hasText: /Specialist One|服务专员/ }).first().waitFor()
    await page.screenshot({ path: shot('desk-scores.png') })
    assert.deepEqual(errors, [])
  }))
})
