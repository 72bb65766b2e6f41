// wechatBindings.js - the rules the WeChat bindings page (WechatBindings.vue)
// checks before it calls the daemon, mirroring desk_wechat_bind in
// src/desk/wechat_repo.c (docs/desk.md section 16), and the words it shows
// for the daemon's refusals. The daemon decides in the end: these checks
// only spare a round trip and say what is wrong in the user's language.
// Pure functions: tests/desk-ui.test.mjs checks them in node.

export const OPENID_MAX = 64 // DESK_WECHAT_OPENID_MAX: OpenIDs are 28 characters
export const CONTACT_MAX = 100 // DESK_WECHAT_CONTACT_MAX, in UTF-8 bytes

// Who gets the page: enterprise.update on bindings is the park admin's
// (any enterprise) and an enterprise user's (their own); see policy.c.
export function seesWechat(role) {
  return role === 'park_admin' || role === 'enterprise'
}

function utf8Bytes(s) {
  return new TextEncoder().encode(s).length
}

// null when the daemon would take openid, else the i18n key (under
// deskUi.wechat.errors) of the reason.
export function checkOpenid(openid) {
  const s = typeof openid === 'string' ? openid : ''
  if (s === '') return 'openidEmpty'
  if (s.length > OPENID_MAX) return 'openidLong'
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return 'openidChars'
  return null
}

// The same for the contact's name: 1..100 bytes, one line, no control
// characters, not blank.
export function checkContact(name) {
  const s = typeof name === 'string' ? name : ''
  if (s.trim() === '') return 'contactEmpty'
  if (/[\r\n\t]/.test(s)) return 'contactLine'
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(s)) return 'contactLine'
  if (utf8Bytes(s) > CONTACT_MAX) return 'contactLong'
  return null
}

// The i18n key (under deskUi.wechat.problems) for a refusal's status; the
// daemon's own detail is shown beside it.
export function problemKey(status) {
  switch (status) {
    case 400: return 'invalid'
    case 403: return 'forbidden'
    case 404: return 'notFound'
    case 409: return 'conflict'
    default: return 'failed'
  }
}
