// main.js - boots the Parkline UI: one session, one API client, i18n and
// the router, all created here and handed down with provide/inject so no
// module keeps mutable state of its own.
import { createApp } from 'vue'
import { ElMessage } from 'element-plus'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { createApi } from './api.js'
import { createSession } from './session.js'
import { createAppI18n } from './i18n.js'
import { createAppRouter } from './router.js'
import { API_KEY, SESSION_KEY, STORAGE_KEY } from './keys.js'

const storage = window.localStorage
const session = createSession()
const i18n = createAppI18n(storage)
let router = null
const api = createApi({
  getCsrf: session.getCsrf,
  // Errors show the problem's detail, which names what to fix.
  notify: (message) => ElMessage({ type: 'error', message, showClose: true, duration: 6000 }),
  // The session expired or was revoked while the page was open.
  onUnauthorized: () => {
    session.clear()
    if (router && router.currentRoute.value.name !== 'login') {
      router.push({ name: 'login', query: { redirect: router.currentRoute.value.fullPath } })
    }
  },
})
router = createAppRouter({ session, api })

createApp(App)
  .provide(API_KEY, api)
  .provide(SESSION_KEY, session)
  .provide(STORAGE_KEY, storage)
  .use(i18n)
  .use(router)
  .mount('#app')
