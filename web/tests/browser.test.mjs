// browser.test.mjs - the web UI in real headless Chromium against a real
// `parkline serve --demo` (see daemon.mjs): sign-in errors, the home page in
// Chinese, the English switch, the role-dependent menu, sign-out.
//
// Chromium is Debian's /usr/bin/chromium driven by playwright-core (which
// never downloads a browser). Playwright gives every launch a fresh
// --user-data-dir of its own (a new temp profile, removed on close), and
// every test opens its own browser context, so cookies and localStorage never
// leak between tests. Nothing waits on a timer: each step waits for a
// selector, a URL or a network response.
//
// Writes docs/screenshots/home.png (the signed-in home page, 1440x900),
// home-en.png (the same in English) and login-error.png.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { REPO, startDaemon } from './daemon.mjs'

const PASSWORD = 'parkline-demo'
const CHROMIUM = process.env.PARKLINE_CHROMIUM || '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
// Upper bound for any single wait; a healthy run needs a fraction of it.
const WAIT_MS = 20000

let daemon
let browser
let failed = false

before(async () => {
  fs.mkdirSync(path.join(REPO, 'docs', 'screenshots'), { recursive: true })
  daemon = await startDaemon()
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT_MS })
})

after(async () => {
  if (browser) await browser.close()
  if (daemon) {
    if (failed) process.stderr.write(`--- daemon log ---\n${daemon.log().slice(-4000)}\n`)
    await daemon.stop({ keep: failed && !!process.env.PARKLINE_KEEP_TMP })
  }
})

// A fresh context (own cookies and storage) and page for one test.
async function openPage(t) {
  const context = await browser.newContext({ baseURL: daemon.url, viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  context.setDefaultTimeout(WAIT_MS)
  const page = await context.newPage()
  // Uncaught exceptions and console errors. A 401 "Failed to load
  // resource" is expected: the guard asks /api/v1/me before anyone signed in.
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text())
  })
  t.after(async () => {
    await context.close()
  })
  return { context, page, errors }
}

// Fills the login form and submits; resolves with the login API response.
async function submitLogin(page, username, password) {
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(password)
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
    page.locator('[data-test=login-submit]').click(),
  ])
  return res
}

async function login(page, username) {
  await page.goto('/login')
  const res = await submitLogin(page, username, PASSWORD)
  assert.equal(res.status(), 200, `login as ${username}`)
  await page.waitForURL((u) => u.pathname === '/')
  await page.locator('[data-test=home]').waitFor()
}

function track(fn) {
  return async (t) => {
    try {
      await fn(t)
    } catch (e) {
      failed = true
      throw e
    }
  }
}

test('without a session every page sends you to the login form', track(async (t) => {
  const { page } = await openPage(t)
  for (const target of ['/', '/desk', '/system']) {
    await page.goto(target)
    await page.waitForURL((u) => u.pathname === '/login')
    await page.locator('[data-test=login-submit]').waitFor()
  }
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  assert.match(await page.locator('[data-test=login-submit]').innerText(), /登\s*录/)
}))

// The daemon answers an unknown user exactly like a wrong password; the
// page must say the same clear thing for both.
const badLogins = [
  { name: 'wrong password', username: 'auditor', password: 'not-the-password' },
  { name: 'unknown user', username: 'no-such-user', password: 'not-the-password' },
]
for (const [i, c] of badLogins.entries()) {
  test(`${c.name} shows a clear message and keeps you on the login page`, track(async (t) => {
    const { page } = await openPage(t)
    await page.goto('/login')
    const res = await submitLogin(page, c.username, c.password)
    assert.equal(res.status(), 401)
    assert.match(res.headers()['content-type'] || '', /application\/problem\+json/)
    const alert = page.locator('[data-test=login-error]')
    await alert.waitFor()
    assert.match(await alert.innerText(), /用户名或密码错误/)
    assert.equal(new URL(page.url()).pathname, '/login')
    // The password field is cleared for the next try.
    assert.equal(await page.locator('input[name=password]').inputValue(), '')
    if (i === 0) await page.screenshot({ path: path.join(REPO, 'docs', 'screenshots', 'login-error.png') })
  }))
}

test('admin signs in and sees the Chinese home page with a chart', track(async (t) => {
  const { page, errors } = await openPage(t)
  await login(page, 'admin')
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  const menu = await page.locator('[data-test=menu]').innerText()
  for (const word of ['首页', '服务台', '追溯', '产线', '园区', '系统']) {
    assert.ok(menu.includes(word), `menu has ${word}: ${menu}`)
  }
  assert.match(await page.locator('[data-test=breadcrumb]').innerText(), /首页/)
  assert.equal(await page.locator('[data-test=user-role]').innerText(), '园区管理员')
  assert.ok((await page.locator('[data-test=user-name]').innerText()).trim().length > 0)
  for (const area of ['desk', 'trace', 'line', 'park']) {
    await page.locator(`[data-test=card-${area}]`).waitFor()
  }
  // ECharts loaded lazily and drew its first frame.
  await page.locator('[data-test=demo-chart][data-rendered=true] canvas').waitFor()
  assert.match(await page.locator('[data-test=demo-tag]').innerText(), /示例数据/)
  // The demo park has two enterprises, and the admin sees both.
  await page.locator('[data-test=enterprise-count]', { hasText: /^\s*2/ }).waitFor()
  const shot = path.join(REPO, 'docs', 'screenshots', 'home.png')
  fs.mkdirSync(path.dirname(shot), { recursive: true })
  await page.screenshot({ path: shot })
  assert.deepEqual(errors, [])
}))

test('switching to English changes the texts and is remembered', track(async (t) => {
  const { page, errors } = await openPage(t)
  await login(page, 'admin')
  await page.locator('[data-test=lang-en]').click()
  await page.locator('[data-test=menu]', { hasText: 'Service desk' }).waitFor()
  assert.equal(await page.getAttribute('html', 'lang'), 'en')
  assert.equal(await page.locator('[data-test=user-role]').innerText(), 'Park administrator')
  assert.match(await page.locator('[data-test=breadcrumb]').innerText(), /Home/)
  assert.match(await page.locator('[data-test=logout]').innerText(), /Sign out/)
  await page.locator('[data-test=demo-chart][data-rendered=true] canvas').waitFor()
  await page.screenshot({ path: path.join(REPO, 'docs', 'screenshots', 'home-en.png') })
  // The choice survives a reload (localStorage).
  await page.reload()
  await page.locator('[data-test=menu]', { hasText: 'Traceability' }).waitFor()
  assert.equal(await page.getAttribute('html', 'lang'), 'en')
  // And back.
  await page.locator('[data-test=lang-zh]').click()
  await page.locator('[data-test=menu]', { hasText: '服务台' }).waitFor()
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  assert.deepEqual(errors, [])
}))

test('an enterprise user sees only their enterprise and no system menu', track(async (t) => {
  const { page } = await openPage(t)
  await login(page, 'ent1')
  assert.equal(await page.locator('[data-test=user-role]').innerText(), '企业用户')
  await page.locator('[data-test=enterprise-count]', { hasText: /^\s*1/ }).waitFor()
  assert.equal(await page.locator('[data-test=menu-system]').count(), 0)
  // Typing the address does not get them in either.
  await page.goto('/system')
  await page.waitForURL((u) => u.pathname === '/')
}))

test('signing out lands on the login page and ends the session', track(async (t) => {
  const { page, context } = await openPage(t)
  await login(page, 'admin')
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout')),
    page.locator('[data-test=logout]').click(),
  ])
  // 204 proves the page sent the X-CSRF-Token the daemon demands.
  assert.equal(res.status(), 204)
  await page.waitForURL((u) => u.pathname === '/login')
  await page.locator('[data-test=login-submit]').waitFor()
  const me = await context.request.get('/api/v1/me')
  assert.equal(me.status(), 401)
  await page.goto('/')
  await page.waitForURL((u) => u.pathname === '/login')
}))

test('repeated wrong passwords are throttled with a clear message', track(async (t) => {
  const { page } = await openPage(t)
  await page.goto('/login')
  // The daemon allows 5 failures per user per window by default; stop at
  // the first 429, and give up after twice that.
  let status = 0
  for (let i = 0; i < 10 && status !== 429; i++) {
    status = (await submitLogin(page, 'dept_tax', 'wrong-' + i)).status()
    assert.ok(status === 401 || status === 429, `attempt ${i}: status ${status}`)
  }
  assert.equal(status, 429)
  const alert = page.locator('[data-test=login-error]', { hasText: '登录失败次数过多' })
  await alert.waitFor()
  assert.match(await alert.innerText(), /请 \d+ 秒后再试/)
}))
