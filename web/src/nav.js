// nav.js - the app's areas and the post-login redirect rule. Plain data
// and pure functions (no Vue imports) so node --test can check them.

// The areas of product.md section 1 that later issues fill in. `icon` names
// an Element Plus icon (see ShellLayout.vue).
export const AREAS = [
  { name: 'desk', crumb: 'nav.desk', icon: 'Service' },
  { name: 'trace', crumb: 'nav.trace', icon: 'Connection' },
  { name: 'line', crumb: 'nav.line', icon: 'Monitor' },
  // line-plant: the ISA-95 plant model (line.read: no department staff)
  { name: 'plant', crumb: 'nav.plant', icon: 'Connection', roles: ['park_admin', 'specialist', 'enterprise', 'auditor'] },
  { name: 'park', crumb: 'nav.park', icon: 'OfficeBuilding' },
  { name: 'system', crumb: 'nav.system', icon: 'Setting', roles: ['park_admin'] },
]

// Only same-app paths are followed after login; an absolute or
// protocol-relative URL in ?redirect= would be an open redirect.
export function safeRedirect(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') &&
    !value.startsWith('/\\') ? value : '/'
}
