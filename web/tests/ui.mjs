// ui.mjs - shared set-up for the page suites (desk.test.mjs,
// trace.test.mjs): one real `parkline serve --demo` (daemon.mjs) and one
// headless Chromium per suite, a fresh browser context per test, sign-in
// through the real login form, and the daemon's log printed when a test
// failed. Same browser flags and rules as browser.test.mjs: nothing waits on
// a timer, only on selectors, URLs and responses.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { REPO, startDaemon } from './daemon.mjs'

export const PASSWORD = 'parkline-demo'
const CHROMIUM = process.env.PARKLINE_CHROMIUM || '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
// Upper bound for any single wait; a healthy run needs a fraction of it.
export const WAIT_MS = 20000

// Registers the suite's hooks with the node:test `before`/`after` of the
// describe() it is called in, and returns helpers bound to that suite.
// daemonArgs: extra `serve` arguments (see daemon.mjs), or a function that
// returns them, called when the hook runs (after hooks registered earlier).
export function openBrowserSuite({ before, after, daemonArgs = [] }) {
  const s = { daemon: null, browser: null, failed: false }

  before(async () => {
    fs.mkdirSync(path.join(REPO, 'docs', 'screenshots'), { recursive: true })
    s.daemon = await startDaemon({ args: typeof daemonArgs === 'function' ? daemonArgs() : daemonArgs })
    s.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT_MS })
  })

  after(async () => {
    if (s.browser) await s.browser.close()
    if (s.daemon) {
      if (s.failed) process.stderr.write(`--- daemon log ---\n${s.daemon.log().slice(-4000)}\n`)
      await s.daemon.stop({ keep: s.failed && !!process.env.PARKLINE_KEEP_TMP })
    }
  })

  // A fresh context (own cookies and storage) and page for one test;
  // uncaught exceptions and console errors are collected (the 401 of the
  // guard's first /api/v1/me before sign-in is expected).
  async function openPage(t) {
    const context = await s.browser.newContext({ baseURL: s.daemon.url, viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
    context.setDefaultTimeout(WAIT_MS)
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text())
    })
    t.after(async () => { await context.close() })
    return { context, page, errors }
  }

  async function login(page, username) {
    await page.goto('/login')
    await page.locator('input[name=username]').fill(username)
    await page.locator('input[name=password]').fill(PASSWORD)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
      page.locator('[data-test=login-submit]').click(),
    ])
    assert.equal(res.status(), 200, `login as ${username}`)
    await page.waitForURL((u) => u.pathname === '/')
    await page.locator('[data-test=home]').waitFor()
  }

  // Wraps a test so a failure prints the daemon log once the suite ends.
  function track(fn) {
    return async (t) => {
      try {
        await fn(t)
      } catch (e) {
        s.failed = true
        throw e
      }
    }
  }

  return { openPage, login, track, get url() { return s.daemon && s.daemon.url } }
}
