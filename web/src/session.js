// session.js - who is logged in, and the CSRF token that goes with it.
//
// One session object is created in main.js and handed to components with
// provide/inject (no module-level mutable state). Its `state` is reactive:
//   user   - the /api/v1/me user ({id, username, display_name, role,
//            enterprise_id, enterprise_name, department}) or null
//   csrf   - the session's CSRF token (hex) or null; sent on every write
//   loaded - true once we asked the daemon whether a session cookie is valid
// The cookie itself is HttpOnly: the page never sees it, it only learns the
// outcome through /api/v1/me.
import { reactive } from 'vue'

export function createSession() {
  const state = reactive({ user: null, csrf: null, loaded: false })

  function set(body) {
    state.user = body && body.user ? body.user : null
    state.csrf = body && typeof body.csrf_token === 'string' ? body.csrf_token : null
    state.loaded = true
  }

  function clear() {
    state.user = null
    state.csrf = null
    state.loaded = true
  }

  return {
    state,
    set,
    clear,
    getCsrf: () => state.csrf,

    // Asks the daemon who we are. A 401 just means "not logged in"; any other
    // failure is thrown so the caller can tell the user the daemon is down.
    async load(api) {
      try {
        set(await api.get('/api/v1/me', { quiet: true }))
      } catch (e) {
        if (e && e.status === 401) clear()
        else throw e
      }
      return state.user
    },

    // Throws the ApiError of a failed login (401 invalid-credentials, 429
    // throttled with retryAfter, 400 naming a field) for the login form.
    async login(api, username, password) {
      set(await api.post('/api/v1/auth/login', { username, password }, { quiet: true }))
      return state.user
    },

    // Ends the session on the daemon; clears local state even if the daemon
    // already forgot it (401), so the user is never stuck logged in.
    async logout(api) {
      try {
        await api.post('/api/v1/auth/logout', undefined, { quiet: true })
      } catch (e) {
        if (!e || e.status !== 401) throw e
      } finally {
        clear()
      }
    },
  }
}
