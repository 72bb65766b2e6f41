// api.js - the one way the UI talks to the daemon.
//
// Every request goes through createApi(): it sends the session cookie
// (credentials: 'same-origin'), adds X-CSRF-Token on writes (the daemon
// rejects cookie-authenticated writes without it, 403 urn:parkline:problem:csrf),
// speaks JSON, and turns any non-2xx answer into an ApiError carrying the
// RFC 9457 problem+json fields. Unless the caller says `quiet`, the problem's
// `detail` (which names the offending field) is shown to the user through the
// `notify` function the app passes in, so no call site can forget to report
// an error. A 401 on anything but the login call means the session ended:
// `onUnauthorized` sends the user back to the login page.
//
// The client holds no module-level state: the CSRF token lives in the
// session object that owns it and is read through getCsrf() on each write.

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

// Longest problem detail we show; a server bug must not flood the screen.
const MAX_DETAIL = 500

export class ApiError extends Error {
  // status: HTTP status (0 when the request never got an answer)
  // problem: the parsed problem+json body, or {} when there was none
  // retryAfter: seconds from the Retry-After header, or null
  constructor(status, problem, retryAfter) {
    const p = problem || {}
    const msg = (typeof p.detail === 'string' && p.detail) ||
      (typeof p.title === 'string' && p.title) ||
      (status ? `HTTP ${status}` : 'network error')
    super(msg.length > MAX_DETAIL ? msg.slice(0, MAX_DETAIL) + '…' : msg)
    this.name = 'ApiError'
    this.status = status
    this.type = typeof p.type === 'string' ? p.type : null
    this.title = typeof p.title === 'string' ? p.title : null
    this.detail = typeof p.detail === 'string' ? p.detail : null
    this.requestId = typeof p.request_id === 'string' ? p.request_id : null
    this.retryAfter = retryAfter
  }

  // The problem type's slug, e.g. "invalid-credentials", or null.
  get slug() {
    const prefix = 'urn:parkline:problem:'
    return this.type && this.type.startsWith(prefix) ? this.type.slice(prefix.length) : null
  }
}

// Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3).
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined) return null
  const v = String(value).trim()
  if (/^\d+$/.test(v)) return Number(v)
  // HTTP dates end in "GMT"; anything else ("-3", "soon") is invalid, and
  // Date.parse would read "-3" as a year.
  if (!/GMT$/.test(v)) return null
  const t = Date.parse(v)
  if (Number.isNaN(t)) return null
  return Math.max(0, Math.ceil((t - now) / 1000))
}

function buildQuery(query) {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.append(k, String(v))
  }
  const s = params.toString()
  return s ? '?' + s : ''
}

// options:
//   getCsrf():        current CSRF token or null (required)
//   notify(message):  shows an error to the user (optional)
//   onUnauthorized(): called on a 401 from a non-quiet request (optional)
//   fetchImpl:        fetch to use (tests); defaults to the global fetch
export function createApi({ getCsrf, notify = () => {}, onUnauthorized = () => {}, fetchImpl } = {}) {
  const doFetch = fetchImpl || ((...a) => globalThis.fetch(...a))

  // request(method, path, { body, query, quiet, signal }) -> parsed JSON body,
  // or null for 204 / empty bodies. Throws ApiError on any failure.
  // quiet: the caller shows the error itself (no notify, no 401 redirect).
  async function request(method, path, { body, query, quiet = false, signal } = {}) {
    const m = method.toUpperCase()
    const headers = { Accept: 'application/json, application/problem+json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (WRITE_METHODS.has(m)) {
      const csrf = getCsrf()
      if (csrf) headers['X-CSRF-Token'] = csrf
    }
    let res
    try {
      res = await doFetch(path + buildQuery(query), {
        method: m,
        headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
        credentials: 'same-origin',
        signal,
      })
    } catch (e) {
      if (e && e.name === 'AbortError') throw e
      const err = new ApiError(0, { detail: String(e && e.message ? e.message : e) }, null)
      if (!quiet) notify(err.message)
      throw err
    }
    const text = res.status === 204 ? '' : await res.text()
    const ctype = res.headers.get('Content-Type') || ''
    let data = null
    if (text && /json/i.test(ctype)) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
    if (res.ok) return data
    const err = new ApiError(res.status, data && typeof data === 'object' ? data : {},
      parseRetryAfter(res.headers.get('Retry-After')))
    if (!quiet) {
      if (res.status === 401) onUnauthorized(err)
      else notify(err.message)
    }
    throw err
  }

  return {
    request,
    notify,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    del: (path, opts) => request('DELETE', path, opts),
  }
}
