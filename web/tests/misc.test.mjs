// misc.test.mjs - pure parts of the UI that need no browser: the error type
// and Retry-After parsing of the API client, the post-login redirect rule,
// the language store, and that both languages have the same texts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, parseRetryAfter } from '../src/api.js'
import { AREAS, safeRedirect } from '../src/nav.js'
import zhCN from '../src/locales/zh-CN.js'
import en from '../src/locales/en.js'

test('ApiError takes its message from the problem detail, then title, then status', () => {
  const cases = [
    [400, { type: 'urn:parkline:problem:invalid-field', title: 'Invalid field', detail: 'name_zh: must not be empty' }, 'name_zh: must not be empty', 'invalid-field'],
    [403, { type: 'urn:parkline:problem:csrf', title: 'CSRF token missing' }, 'CSRF token missing', 'csrf'],
    [502, {}, 'HTTP 502', null],
    [0, {}, 'network error', null],
    [500, { type: 'about:blank', detail: 'x'.repeat(600) }, 'x'.repeat(500) + '…', null],
    [404, { detail: 42 }, 'HTTP 404', null], // wrong types are ignored, not shown
  ]
  for (const [status, problem, message, slug] of cases) {
    const e = new ApiError(status, problem, null)
    assert.equal(e.message, message)
    assert.equal(e.slug, slug)
    assert.equal(e.status, status)
  }
  const e = new ApiError(429, { request_id: 'r1' }, 30)
  assert.equal(e.requestId, 'r1')
  assert.equal(e.retryAfter, 30)
})

test('parseRetryAfter reads delta-seconds and HTTP dates', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0)
  const cases = [
    ['30', 30],
    [' 5 ', 5],
    ['0', 0],
    ['Wed, 25 Nov 2026 12:01:00 GMT', 60],
    ['Wed, 25 Nov 2026 11:59:00 GMT', 0], // in the past: retry now
    ['soon', null],
    ['-3', null],
    [null, null],
    [undefined, null],
  ]
  for (const [value, expected] of cases) {
    assert.equal(parseRetryAfter(value, now), expected, String(value))
  }
})

test('safeRedirect only follows same-app paths', () => {
  const cases = [
    ['/desk', '/desk'],
    ['/trace?epc=urn:epc:id:sgtin:1.2.3', '/trace?epc=urn:epc:id:sgtin:1.2.3'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['', '/'],
    [undefined, '/'],
    [['/desk'], '/'],
  ]
  for (const [input, expected] of cases) assert.equal(safeRedirect(input), expected, String(input))
})

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? keys(v, prefix + k + '.') : [prefix + k])
}

test('zh-CN and en have the same message keys', () => {
  assert.deepEqual(keys(en).sort(), keys(zhCN).sort())
  assert.equal(zhCN.home.months.length, en.home.months.length)
})

test('every area in the menu has a label and every role a name', () => {
  for (const a of AREAS) {
    assert.equal(typeof zhCN.nav[a.name], 'string', a.name)
    assert.equal(typeof en.nav[a.name], 'string', a.name)
  }
  for (const role of ['park_admin', 'specialist', 'department', 'enterprise', 'auditor']) {
    assert.equal(typeof zhCN.roles[role], 'string', role)
    assert.equal(typeof en.roles[role], 'string', role)
  }
})

test('no message uses vue-i18n special characters by accident', () => {
  // "|" is plural syntax and "@" a linked message in vue-i18n: a literal one
  // in a text would be mangled on screen.
  for (const [name, msgs] of [['zh-CN', zhCN], ['en', en]]) {
    for (const k of keys(msgs)) {
      const v = k.split('.').reduce((o, p) => o[p], msgs)
      const texts = Array.isArray(v) ? v : [v]
      for (const s of texts) assert.ok(!/[|@]/.test(s), `${name} ${k}: ${s}`)
    }
  }
})
