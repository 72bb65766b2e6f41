// router.js - pages and the route guard.
//
// Every page except /login needs a session: before the first navigation the
// guard asks /api/v1/me once, then sends anyone without a session to /login
// (remembering where they were going). meta.roles limits a page to roles;
// meta.crumb is the i18n key of the page's breadcrumb.
import { createRouter, createWebHistory } from 'vue-router'
import LoginView from './views/LoginView.vue'
import ShellLayout from './layouts/ShellLayout.vue'
import HomeView from './views/HomeView.vue'
import PlaceholderView from './views/PlaceholderView.vue'
import NotFoundView from './views/NotFoundView.vue'
import DeskView from './views/desk/DeskView.vue'
import TraceView from './views/trace/TraceView.vue'
import LineView from './views/line/LineView.vue'
import ParkView from './views/park/ParkView.vue'
import PlantView from './views/plant/PlantView.vue' // line-plant: the ISA-95 plant model
import EnterpriseProfile from './views/park/EnterpriseProfile.vue'
import { AREAS, safeRedirect } from './nav.js'

// Areas whose pages exist; the others still show the placeholder.
const AREA_VIEWS = { desk: DeskView, trace: TraceView, line: LineView, park: ParkView }
AREA_VIEWS.plant = PlantView // line-plant

export function createAppRouter({ session, api }) {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
      {
        path: '/',
        component: ShellLayout,
        children: [
          { path: '', name: 'home', component: HomeView, meta: { crumb: 'nav.home' } },
          ...AREAS.map((a) => ({
            path: a.name,
            name: a.name,
            component: AREA_VIEWS[a.name] || PlaceholderView,
            meta: { crumb: a.crumb, roles: a.roles, area: a.name },
          })),
          // park-web: one enterprise's profile under the 园区 area
          { path: 'park/enterprises/:id', name: 'park-enterprise', component: EnterpriseProfile, meta: { crumb: 'park.profile', area: 'park' } },
          { path: ':rest(.*)*', name: 'not-found', component: NotFoundView, meta: { crumb: 'notFound.title' } },
        ],
      },
    ],
  })

  router.beforeEach(async (to) => {
    if (!session.state.loaded) {
      try {
        await session.load(api)
      } catch {
        // Daemon unreachable: treat as logged out; the login page says why
        // when the user tries.
        session.clear()
      }
    }
    const user = session.state.user
    if (to.meta.public) {
      return user && to.name === 'login' ? safeRedirect(to.query.redirect) : true
    }
    if (!user) {
      return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
    }
    if (to.meta.roles && !to.meta.roles.includes(user.role)) return { name: 'home' }
    return true
  })

  return router
}
