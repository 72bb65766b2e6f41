// api/desk.js - the service desk's calls to the daemon and the pure rules
// the desk pages show (state colours, which buttons an allowed action
// becomes, overdue, leaderboard shares).
//
// Calls go through the injected API client (src/api.js), so cookies, the
// CSRF token and problem+json errors are handled there; every function here
// takes that client as its first argument and keeps no state of its own.
// The pure helpers take plain values so tests/desk.test.mjs checks them in
// node without a browser.
//
// Contract (issue 3):
//   GET  /api/v1/desk/requests?state=&urgency=&enterprise_id=&q=&limit=&offset= -> {items, total}
//   POST /api/v1/desk/requests {enterprise_id?, channel, category, urgency, title, description} -> 201 request
//   GET  /api/v1/desk/requests/{id} -> request + history[] + allowed_actions[] + rating
//   POST /api/v1/desk/requests/{id}/actions {action, note?, department?, resolution?, rating?, comment?, due_at?}
//   GET  /api/v1/desk/requests/{id}/attachments -> {items}; POST it with the raw file (?filename=)
//   GET  /api/v1/desk/requests/{id}/attachments/{aid} -> the file (attachment disposition)
//   GET  /api/v1/desk/scores?days=90 -> [{specialist_id, name, rated, satisfied, share}] (or {items})
//   GET/POST /api/v1/desk/replacements, POST /api/v1/desk/replacements/{id}/assign {specialist_id}

// The request states of docs/desk.md section 2, in workflow order, with the
// Element Plus tag type each is shown in: grey before anyone works on it,
// blue while in hand, orange when it needs attention, green when done.
export const STATES = [
  ['received', 'info'],
  ['dispatched', 'info'],
  ['accepted', 'primary'],
  ['in_progress', 'primary'],
  ['transferred', 'primary'],
  ['extension_requested', 'warning'],
  ['escalated', 'danger'],
  ['resolved', 'success'],
  ['rated', 'success'],
  ['reopened', 'warning'],
  ['closed', 'info'],
  ['waiting_enterprise', 'warning'],
]
const STATE_TAG = new Map(STATES)

export const URGENCIES = ['normal', 'urgent', 'critical']
export const CATEGORIES = ['consult', 'help', 'complaint', 'suggestion', 'utility']
export const CHANNELS = ['web', 'phone', 'wechat', 'sms', 'visit']

// Ratings as the API names them, and the state-machine action (as listed
// in allowed_actions) each one takes.
export const RATINGS = [
  ['satisfied', 'rate_satisfied'],
  ['basically_satisfied', 'rate_basic'],
  ['unsatisfied', 'rate_unsatisfied'],
]
const RATE_ACTIONS = new Set(['rate', ...RATINGS.map((r) => r[1])])

// Most rows one page asks for; the daemon caps it too.
export const MAX_PAGE = 100

// Element Plus tag type of a state; unknown states (a newer daemon) are grey.
export function stateTagType(state) {
  return STATE_TAG.get(state) || 'info'
}

// True when a request is past its deadline and still open. The daemon's
// `overdue` flag wins when present; otherwise due_at is compared with now.
// Done states are never overdue: the clock stopped at 办结.
export function isOverdue(req, now = Date.now()) {
  if (!req || typeof req !== 'object') return false
  if (['resolved', 'rated', 'closed'].includes(req.state)) return false
  if (typeof req.overdue === 'boolean') return req.overdue
  const due = dueOf(req)
  const t = due ? Date.parse(due) : NaN
  return Number.isFinite(t) && t < now
}

// The deadline that matters now, as the daemon judges overdue: the
// resolve deadline (due_at, set once the request is accepted) or, before
// that, the sign deadline (sign_due_at). null when neither is set.
export function dueOf(req) {
  if (!req || typeof req !== 'object') return null
  if (typeof req.due_at === 'string' && req.due_at) return req.due_at
  if (typeof req.sign_due_at === 'string' && req.sign_due_at) return req.sign_due_at
  return null
}

// Splits allowed_actions into what the drawer shows: plain buttons (each
// with the extra field it needs: a department, a resolution, a note), and
// whether the rating form appears. Unknown or non-string entries are dropped
// so a malformed answer cannot render junk buttons.
//   -> { buttons: [{action, needs: null|'department'|'resolution'|'note'}], rate: bool }
const NEEDS = {
  transfer: 'department',
  resolve: 'resolution',
  return: 'note',
  request_extension: 'extension', // a reason and the new deadline (extensionBody)
  reject_extension: 'note',
  await_enterprise: 'note', // what the enterprise must supply
  supplement: 'note',
}
export function actionButtons(allowed) {
  const out = { buttons: [], rate: false }
  if (!Array.isArray(allowed)) return out
  for (const a of allowed) {
    if (typeof a !== 'string' || !/^[a-z_]{1,40}$/.test(a)) continue
    if (RATE_ACTIONS.has(a)) {
      out.rate = true
      continue
    }
    out.buttons.push({ action: a, needs: NEEDS[a] || null })
  }
  return out
}

// The body of a rating: {action: 'rate', rating, comment?}. The daemon
// lists the rating actions as rate_satisfied / rate_basic /
// rate_unsatisfied (or one "rate"); any of them means rating is open, and
// the one it accepts in a body is "rate" with the rating. Throws on an
// unknown rating or when the daemon allows no rating now.
export function ratingBody(allowed, rating, comment) {
  const row = RATINGS.find((r) => r[0] === rating)
  if (!row) throw new Error(`unknown rating: ${rating}`)
  const list = Array.isArray(allowed) ? allowed : []
  if (!list.includes('rate') && !list.includes(row[1])) throw new Error(`rating ${rating} is not allowed now`)
  const body = { action: 'rate', rating }
  const c = typeof comment === 'string' ? comment.trim() : ''
  if (c) body.comment = c
  return body
}

// Leaderboard rows from /desk/scores, whichever wrapper it uses, with the
// satisfaction share as a percentage (0-100, one decimal) or null when the
// specialist has no ratings (no score, not 0: docs/desk.md section 5).
// `share` may come as a fraction (0..1), a percentage or basis points; the
// rated/satisfied counts win when present because they are unambiguous.
export function scoreRows(body) {
  const items = Array.isArray(body) ? body : (body && Array.isArray(body.items) ? body.items : [])
  return items.filter((r) => r && typeof r === 'object').map((r) => {
    const rated = Number(r.rated)
    const sat = Number(r.satisfied)
    let pct = null
    if (Number.isFinite(rated) && rated > 0 && Number.isFinite(sat)) pct = (100 * sat) / rated
    else if (typeof r.share === 'number' && Number.isFinite(r.share) && r.share >= 0) {
      pct = r.share <= 1 ? r.share * 100 : r.share <= 100 ? r.share : r.share / 100
    }
    return {
      id: String(r.specialist_id ?? ''),
      name: String(r.name ?? r.specialist_name ?? r.specialist_id ?? ''),
      rated: Number.isFinite(rated) ? rated : 0,
      satisfied: Number.isFinite(sat) ? sat : 0,
      pct: pct === null ? null : Math.round(pct * 10) / 10,
    }
  })
}

// Query for the queue: drops empty filters, clamps paging.
export function queueQuery({ state, urgency, enterprise_id: ent, q, page = 1, size = 20 } = {}) {
  const limit = Math.min(Math.max(1, Number(size) || 20), MAX_PAGE)
  const p = Math.max(1, Math.floor(Number(page) || 1))
  const query = { limit, offset: (p - 1) * limit }
  if (state) query.state = state
  if (urgency) query.urgency = urgency
  if (ent) query.enterprise_id = ent
  if (typeof q === 'string' && q.trim()) query.q = q.trim()
  return query
}

function idPath(id) {
  return encodeURIComponent(String(id))
}

export function listRequests(api, filters, opts) {
  return api.get('/api/v1/desk/requests', { ...opts, query: queueQuery(filters) })
}

export function createRequest(api, body) {
  return api.post('/api/v1/desk/requests', body)
}

export function getRequest(api, id) {
  return api.get(`/api/v1/desk/requests/${idPath(id)}`)
}

export function actOnRequest(api, id, body) {
  return api.post(`/api/v1/desk/requests/${idPath(id)}/actions`, body)
}

export function getScores(api, days = 90) {
  return api.get('/api/v1/desk/scores', { query: { days } })
}

export function listReplacements(api, opts) {
  return api.get('/api/v1/desk/replacements', opts)
}

export function requestReplacement(api, body) {
  return api.post('/api/v1/desk/replacements', body)
}

export function assignReplacement(api, id, specialistId) {
  return api.post(`/api/v1/desk/replacements/${idPath(id)}/assign`, { specialist_id: specialistId })
}

// ----------------------------------------------------------- desk-flow

// The body of a 延期 application: the reason and the new deadline, which
// must be later than the current one (the daemon checks again, and refuses
// it once the deadline has passed). due: a Date, ms or an ISO string.
// Throws Error('reason' | 'due' | 'later') for the drawer to translate.
export function extensionBody(note, due, currentDue) {
  const reason = typeof note === 'string' ? note.trim() : ''
  if (!reason) throw new Error('reason')
  const t = due instanceof Date ? due.getTime() : typeof due === 'number' ? due : Date.parse(due)
  if (!Number.isFinite(t)) throw new Error('due')
  const cur = currentDue ? Date.parse(currentDue) : NaN
  if (Number.isFinite(cur) && t <= cur) throw new Error('later')
  return { action: 'request_extension', note: reason, due_at: new Date(t).toISOString() }
}

// Attachment limits, as the daemon has them (src/desk/desk.h).
export const ATTACH_MAX = 10 * 1024 * 1024
export const ATTACH_PER_REQUEST = 20

// "1.2 MB", "340 KB", "12 B" for a byte count; '' for junk.
export function formatSize(n) {
  const v = Number(n)
  if (!Number.isFinite(v) || v < 0) return ''
  if (v < 1024) return `${v} B`
  if (v < 1024 * 1024) return `${Math.round(v / 1024)} KB`
  return `${(v / (1024 * 1024)).toFixed(1)} MB`
}

export function attachmentsPath(id) {
  return `/api/v1/desk/requests/${idPath(id)}/attachments`
}

// Where a browser downloads attachment aid (a plain link: the cookie goes
// with it, and the daemon answers with Content-Disposition: attachment).
export function attachmentUrl(id, aid) {
  return `${attachmentsPath(id)}/${idPath(aid)}`
}

export function listAttachments(api, id) {
  return api.get(attachmentsPath(id))
}

// Uploads a File/Blob as the raw body. The JSON client cannot send one, so
// this is a plain fetch with the same CSRF header and problem handling:
// a refusal throws an Error carrying the problem's detail and status.
export async function uploadAttachment(id, file, csrf, fetchImpl = globalThis.fetch) {
  if (!file || typeof file.size !== 'number') throw new Error('no file')
  const name = String(file.name || 'file')
  const res = await fetchImpl(`${attachmentsPath(id)}?filename=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: {
      'Content-Type': file.type || 'application/octet-stream',
      Accept: 'application/json, application/problem+json',
      ...(csrf ? { 'X-CSRF-Token': csrf } : {}),
    },
    body: file,
    credentials: 'same-origin',
  })
  let data = null
  try {
    data = await res.json()
  } catch {
    data = null
  }
  if (res.ok) return data
  const err = new Error((data && typeof data.detail === 'string' && data.detail) || `HTTP ${res.status}`)
  err.status = res.status
  throw err
}
