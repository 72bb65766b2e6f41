// api.test.mjs - the UI's API client (src/api.js) against a real
// `parkline serve --demo`: problem+json errors become ApiErrors with the
// daemon's detail, errors reach the user through notify unless quiet, and
// writes carry the CSRF token (the daemon refuses a cookie-authenticated
// write without it). Node's fetch keeps no cookies, so the fetch passed in
// plays the browser's part: it prefixes the daemon's address and carries
// the pl_session cookie the daemon set.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createApi } from '../src/api.js'
import { startDaemon } from './daemon.mjs'

let daemon

before(async () => { daemon = await startDaemon() })
after(async () => { if (daemon) await daemon.stop() })

// A browser-like client: cookie jar of one cookie, CSRF from the session.
function client() {
  const jar = { cookie: null }
  const session = { csrf: null }
  const notes = []
  const unauthorized = []
  const sent = []
  const fetchImpl = async (path, init) => {
    const headers = { ...init.headers }
    if (jar.cookie) headers.Cookie = jar.cookie
    sent.push({ path, method: init.method, headers })
    const res = await fetch(daemon.url + path, { ...init, headers })
    const set = res.headers.get('set-cookie')
    if (set) {
      const m = /pl_session=([^;]*)/.exec(set)
      if (m) jar.cookie = m[1] ? `pl_session=${m[1]}` : null
    }
    return res
  }
  const api = createApi({
    getCsrf: () => session.csrf,
    notify: (m) => notes.push(m),
    onUnauthorized: (e) => unauthorized.push(e.status),
    fetchImpl,
  })
  return { api, session, notes, unauthorized, sent, jar }
}

async function loginAs(c, username) {
  const body = await c.api.post('/api/v1/auth/login', { username, password: 'parkline-demo' }, { quiet: true })
  assert.equal(body.user.username, username)
  assert.match(body.csrf_token, /^[0-9a-f]+$/)
  c.session.csrf = body.csrf_token
  return body
}

test('login, me and logout with the CSRF token', async () => {
  const c = client()
  const login = await loginAs(c, 'admin')
  assert.equal(login.user.role, 'park_admin')
  assert.ok(c.jar.cookie, 'daemon set pl_session')
  const me = await c.api.get('/api/v1/me')
  assert.equal(me.user.username, 'admin')
  // GETs carry no CSRF header; writes do.
  const getReq = c.sent.find((r) => r.path.startsWith('/api/v1/me'))
  assert.equal(getReq.headers['X-CSRF-Token'], undefined)
  assert.equal(await c.api.post('/api/v1/auth/logout'), null) // 204
  const logoutReq = c.sent.find((r) => r.path === '/api/v1/auth/logout')
  assert.equal(logoutReq.headers['X-CSRF-Token'], c.session.csrf)
  assert.deepEqual(c.notes, [])
})

test('failed requests become ApiErrors carrying the problem', async () => {
  const cases = [
    // [name, setup(c) -> promise, status, slug or null, quiet?]
    ['wrong password', (c) => c.api.post('/api/v1/auth/login', { username: 'specialist1', password: 'nope-nope' }, { quiet: true }), 401, 'invalid-credentials', true],
    ['no session', (c) => c.api.get('/api/v1/me'), 401, null, false],
    ['write without CSRF token', async (c) => { await loginAs(c, 'admin'); c.session.csrf = null; return c.api.post('/api/v1/auth/logout') }, 403, 'csrf', false],
    ['unknown API route', async (c) => { await loginAs(c, 'admin'); return c.api.get('/api/v1/no-such-thing') }, 404, null, false],
  ]
  for (const [name, run, status, slug, quiet] of cases) {
    const c = client()
    await assert.rejects(run(c), (e) => {
      assert.equal(e.name, 'ApiError', name)
      assert.equal(e.status, status, name)
      if (slug) assert.equal(e.slug, slug, name)
      assert.ok(e.message.length > 0, name)
      return true
    })
    if (quiet) {
      assert.deepEqual(c.notes, [], `${name}: quiet shows nothing`)
    } else if (status === 401) {
      assert.deepEqual(c.unauthorized, [401], `${name}: 401 goes to onUnauthorized`)
    } else {
      assert.equal(c.notes.length, 1, `${name}: the user is told`)
    }
  }
})
