// desk-flow.test.mjs - the request workflow's later parts in the UI
// (issue 3): the pure helpers of src/api/desk.js for 延期, attachments and
// the paused state as tables, then one story in real headless Chromium
// against `parkline serve --demo`: ent1 raises a request and uploads a PNG
// from the drawer (listed, downloadable with the bytes it sent, refused when
// disguised); specialist1 accepts, starts and asks for an extension with a
// new deadline; admin approves it in the drawer and the deadline moves.
// Screenshot: docs/screenshots/desk-attachments.png.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import {
  actionButtons, attachmentUrl, extensionBody, formatSize, stateTagType, uploadAttachment,
} from '../src/api/desk.js'
import { REPO } from './daemon.mjs'
import { openBrowserSuite } from './ui.mjs'

test('extensionBody needs a reason and a deadline later than the current one', () => {
  const cur = '2026-12-03T16:00:00.000Z'
  assert.deepEqual(extensionBody(' 等待勘查 ', new Date('2026-12-10T02:00:00Z'), cur),
    { action: 'request_extension', note: '等待勘查', due_at: '2026-12-10T02:00:00.000Z' })
  assert.deepEqual(extensionBody('x', Date.UTC(2027, 0, 1), null).due_at, '2027-01-01T00:00:00.000Z')
  assert.deepEqual(extensionBody('x', '2027-01-01T08:00:00+08:00', undefined).due_at, '2027-01-01T00:00:00.000Z')
  const bad = [
    ['', new Date('2027-01-01'), cur, /reason/],
    ['   ', new Date('2027-01-01'), cur, /reason/],
    ['x', null, cur, /due/],
    ['x', 'next week', cur, /due/],
    ['x', new Date(cur), cur, /later/],
    ['x', new Date('2026-12-01T00:00:00Z'), cur, /later/],
  ]
  for (const [note, due, c, re] of bad) assert.throws(() => extensionBody(note, due, c), re, String(due))
})

test('the new actions become buttons with the text each needs; waiting is orange', () => {
  assert.deepEqual(actionButtons(['await_enterprise', 'request_extension', 'supplement', 'withdraw']).buttons, [
    { action: 'await_enterprise', needs: 'note' }, { action: 'request_extension', needs: 'extension' },
    { action: 'supplement', needs: 'note' }, { action: 'withdraw', needs: null }])
  assert.equal(stateTagType('waiting_enterprise'), 'warning')
})

test('formatSize and attachmentUrl', () => {
  const sizes = [[0, '0 B'], [1023, '1023 B'], [1024, '1 KB'], [5 * 1024 * 1024 + 1, '5.0 MB'], [-1, ''], ['x', '']]
  for (const [n, want] of sizes) assert.equal(formatSize(n), want, String(n))
  assert.equal(attachmentUrl('01ABC', '01DEF'), '/api/v1/desk/requests/01ABC/attachments/01DEF')
  assert.equal(attachmentUrl('a/b', 'c?d'), '/api/v1/desk/requests/a%2Fb/attachments/c%3Fd')
})

test('uploadAttachment sends the raw file with its type, name and CSRF token; a refusal carries the detail', async () => {
  const calls = []
  const fake = (status, body) => async (url, init) => {
    calls.push({ url, init })
    return { ok: status < 300, status, json: async () => body }
  }
  const file = new Blob(['hello'], { type: 'text/plain' })
  file.name = '说明 1.txt'
  const got = await uploadAttachment('R1', file, 'tok', fake(201, { id: 'A1' }))
  assert.deepEqual(got, { id: 'A1' })
  assert.equal(calls[0].url, '/api/v1/desk/requests/R1/attachments?filename=%E8%AF%B4%E6%98%8E%201.txt')
  assert.equal(calls[0].init.method, 'POST')
  assert.equal(calls[0].init.headers['Content-Type'], 'text/plain')
  assert.equal(calls[0].init.headers['X-CSRF-Token'], 'tok')
  assert.equal(calls[0].init.body, file)
  const untyped = new Blob(['x'])
  untyped.name = 'a.bin'
  await uploadAttachment('R1', untyped, null, fake(201, {}))
  assert.equal(calls[1].init.headers['Content-Type'], 'application/octet-stream')
  assert.equal(calls[1].init.headers['X-CSRF-Token'], undefined)
  await assert.rejects(uploadAttachment('R1', file, 'tok', fake(415, { detail: 'the content is text/plain but the file name says image/png' })),
    (e) => e.status === 415 && /file name says image\/png/.test(e.message))
  await assert.rejects(uploadAttachment('R1', null, 'tok', fake(201, {})), /no file/)
})

// A 1x1 PNG (the bytes the sniffer must recognise).
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex')

describe('desk-flow pages in Chromium', () => {
  const ui = openBrowserSuite({ before, after })
  const shot = (name) => path.join(REPO, 'docs', 'screenshots', name)
  const title = `厂房消防改造 ${process.pid}-${Date.now()}`

  async function openRequest(page) {
    await page.goto('/desk')
    await page.locator('[data-test=desk-table]').waitFor()
    await page.locator('[data-test=filter-q]').fill(title)
    await page.locator('[data-test=desk-search]').click()
    await page.locator('[data-test=desk-table] tr', { hasText: title }).click()
    await page.locator('[data-test=drawer-title]', { hasText: title }).waitFor()
  }

  async function act(page, selector) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/api\/v1\/desk\/requests\/[^/]+\/actions$/.test(r.url()) && r.request().method() === 'POST'),
      page.locator(selector).click(),
    ])
    return res
  }

  async function upload(page, name, mimeType, buffer) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/attachments\?filename=/.test(r.url()) && r.request().method() === 'POST'),
      page.locator('[data-test=file-input]').setInputFiles({ name, mimeType, buffer }),
    ])
    return res
  }

  test('ent1 raises a request and attaches a PNG; a disguised file is refused', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'ent1')
    await page.goto('/desk')
    await page.locator('[data-test=desk-new]').click()
    await page.locator('[data-test=new-title]').fill(title)
    await page.locator('[data-test=new-description]').fill('消防设计图纸见附件。')
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/requests') && r.request().method() === 'POST'),
      page.locator('[data-test=new-submit]').click(),
    ])
    assert.equal(created.status(), 201)
    await page.locator('[data-test=drawer-title]', { hasText: title }).waitFor()
    let res = await upload(page, '消防图纸.png', 'image/png', PNG)
    assert.equal(res.status(), 201, await res.text())
    const link = page.locator('[data-test=file-link]', { hasText: '消防图纸.png' })
    await link.waitFor()
    // The link downloads exactly the bytes sent, with the stored type.
    const href = await link.getAttribute('href')
    const got = await page.evaluate(async (u) => {
      const r = await fetch(u)
      return { type: r.headers.get('content-type'), nosniff: r.headers.get('x-content-type-options'), bytes: [...new Uint8Array(await r.arrayBuffer())] }
    }, href)
    assert.equal(got.type, 'image/png')
    assert.equal(got.nosniff, 'nosniff')
    assert.deepEqual(Buffer.from(got.bytes), PNG)
    // HTML dressed as a PNG: 415, the detail shown, nothing added.
    res = await upload(page, 'photo.png', 'image/png', Buffer.from('<html><script>alert(1)</script></html>'))
    assert.equal(res.status(), 415)
    await page.locator('[data-test=action-error]', { hasText: 'not PNG' }).waitFor()
    assert.equal(await page.locator('[data-test=file-link]').count(), 1)
    await page.screenshot({ path: shot('desk-attachments.png') })
    assert.deepEqual(errors.filter((e) => !/status of 415/.test(e)), [])
  }))

  test('specialist1 asks for an extension with a new deadline; admin approves it', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'specialist1')
    await openRequest(page)
    await page.locator('[data-test=file-link]', { hasText: '消防图纸.png' }).waitFor()
    let res = await act(page, '[data-test=act-accept]')
    assert.equal(res.status(), 200)
    await page.locator('[data-test=act-start]').waitFor()
    res = await act(page, '[data-test=act-start]')
    assert.equal(res.status(), 200)
    await page.locator('[data-test=act-request_extension]').click()
    await page.locator('[data-test=action-text]').fill('消防部门现场勘查排期在下月')
    await page.locator('[data-test=action-due] input').fill('2099-01-01 10:00:00')
    await page.locator('[data-test=action-due] input').press('Enter')
    res = await act(page, '[data-test=action-confirm]')
    assert.equal(res.status(), 200, await res.text())
    const body = await res.json()
    assert.equal(body.state, 'extension_requested')
    assert.equal(body.extensions[0].state, 'pending')
    assert.match(body.extensions[0].new_due_at, /^2099-01-01T/)
    await page.locator('[data-test=drawer-extensions]', { hasText: '待审批' }).waitFor()
    await page.context().close()

    const admin = await ui.openPage(t)
    await ui.login(admin.page, 'admin')
    await openRequest(admin.page)
    res = await act(admin.page, '[data-test=act-approve_extension]')
    assert.equal(res.status(), 200, await res.text())
    const approved = await res.json()
    assert.equal(approved.state, 'in_progress')
    assert.equal(approved.due_at, body.extensions[0].new_due_at)
    await admin.page.locator('[data-test=drawer-extensions]', { hasText: '已批准' }).waitFor()
    await admin.page.locator('[data-test=drawer-state]', { hasText: '办理中' }).waitFor()
    assert.deepEqual(errors, [])
    assert.deepEqual(admin.errors, [])
  }))

  test('the admin raises a park-wide request for two enterprises', ui.track(async (t) => {
    const { page, errors } = await ui.openPage(t)
    await ui.login(page, 'admin')
    await page.goto('/desk')
    await page.locator('[data-test=desk-new]').click()
    await page.locator('[data-test=new-park-wide]').click()
    const ptitle = `园区南路修复 ${process.pid}-${Date.now()}`
    await page.locator('[data-test=new-title]').fill(ptitle)
    await page.locator('[data-test=new-description]').fill('南路坑洼影响沿线企业货运。')
    // two enterprises, then the handler: Element Plus options render in a
    // popper each, told apart by their popper classes (a closing popper is
    // still in the DOM while it fades)
    await page.locator('[data-test=new-enterprises]').click()
    const options = page.locator('.pl-new-enterprises .el-select-dropdown__item')
    await options.first().waitFor()
    await options.nth(0).click()
    await options.nth(1).click()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=new-handler]').click()
    const handlers = page.locator('.pl-new-handler .el-select-dropdown__item')
    await handlers.first().waitFor()
    await handlers.first().click()
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/desk/requests') && r.request().method() === 'POST'),
      page.locator('[data-test=new-submit]').click(),
    ])
    assert.equal(res.status(), 201, await res.text())
    const body = await res.json()
    assert.equal(body.park_wide, true)
    assert.equal(body.linked_count, 2)
    assert.equal(body.state, 'dispatched')
    await page.locator('[data-test=drawer-park-wide]').waitFor()
    assert.deepEqual(errors, [])
  }))
})
