// walk.mjs - the route x role x tenant walk: proves that the running server
// enforces the role x action table of docs/security.md on every route.
//
// It starts build/parkline serve --demo on a free loopback port with a temp
// SQLite file, logs in as every demo account (plus a device token and an
// enterprise API token), and then sends every route printed by
// `parkline serve --print-routes`, as every caller, against the caller's own
// enterprise and another one, checking each status against the outcome the
// table in tests/authz/table.json gives:
//   allowed        -> 2xx for the routes we know how to call, else not 401/403/5xx
//   deny           -> 403
//   other tenant   -> 404 (400 when the other enterprise is named in a body:
//                     the same answer as a missing enterprise)
//   anonymous      -> 401 unless the action is "public"
// It also checks that docs/security.md shows the same table as table.json,
// that every route's action is in the table, plus CSRF, bearer, list
// filtering, throttling and revocation over HTTP.
//
// Node 18+ ESM, standard library only. Usage: node tests/authz/walk.mjs
// [path/to/parkline]; PL_WALK_DB=postgresql://... runs it on that store
// instead of a temp SQLite file. Prints one line per failure and, last, the line
// "authz: <passed> passed, <failed> failed, <skipped> skipped"; exits 1 on
// any failure.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import readline from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bin = process.argv[2] || join(root, 'build', 'parkline');
const PASSWORD = 'parkline-demo';
const USCC1 = '91500102203104854Y';
const USCC2 = '91500102MA5U4QXR7F';

let passed = 0, failed = 0, skipped = 0;
function check(ok, what) {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${what}`); }
}

// ------------------------------------------------------------ the table
const table = JSON.parse(readFileSync(join(here, 'table.json'), 'utf8'));

function checkDocsTable() {
  const md = readFileSync(join(root, 'docs', 'security.md'), 'utf8');
  const lines = md.split('\n');
  const head = lines.findIndex((l) => /^\|\s*action\s*\|/.test(l));
  check(head >= 0, 'docs/security.md has a "| action | ..." table');
  if (head < 0) return;
  const cols = lines[head].split('|').slice(1, -1).map((s) => s.trim());
  check(JSON.stringify(cols.slice(1)) === JSON.stringify(table.roles),
    `docs/security.md table columns ${cols.slice(1)} are the roles ${table.roles}`);
  const seen = new Set();
  for (const l of lines.slice(head + 2)) {
    if (!l.startsWith('|')) break;
    const cells = l.split('|').slice(1, -1).map((s) => s.trim());
    const action = cells[0].replace(/`/g, '');
    seen.add(action);
    const row = table.actions[action];
    check(row !== undefined, `docs/security.md action ${action} is in table.json`);
    if (!row) continue;
    table.roles.forEach((role, i) =>
      check(cells[i + 1] === row[role],
        `docs/security.md ${action} x ${role} is "${cells[i + 1]}", table.json says "${row[role]}"`));
  }
  for (const a of Object.keys(table.actions))
    check(seen.has(a), `docs/security.md lists action ${a}`);
}

// --------------------------------------------------------------- HTTP
let base = { host: '127.0.0.1', port: 0 };

// One request. SSE responses are cut after the headers.
function req(method, path, { cookie, csrf, bearer, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (cookie) h.Cookie = `pl_session=${cookie}`;
    if (csrf) h['X-CSRF-Token'] = csrf;
    if (bearer) h.Authorization = `Bearer ${bearer}`;
    let data;
    if (body !== undefined) {
      data = Buffer.from(JSON.stringify(body));
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = data.length;
    }
    const r = http.request({ host: base.host, port: base.port, method, path, headers: h }, (res) => {
      if ((res.headers['content-type'] || '').startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode, headers: res.headers, json: null });
        return;
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
      res.on('error', reject);
    });
    r.setTimeout(15000, () => r.destroy(new Error(`${method} ${path}: timed out`)));
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}

async function login(username) {
  const r = await req('POST', '/api/v1/auth/login', { body: { username, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  const sc = [].concat(r.headers['set-cookie'] || []).join(';');
  const m = /pl_session=([^;]+)/.exec(sc);
  if (!m) throw new Error(`login ${username}: no pl_session cookie`);
  return { cookie: m[1], csrf: r.json.csrf_token, user: r.json.user, setCookie: sc };
}

async function startServer(dir) {
  // PL_WALK_DB runs the walk on another store (the PostgreSQL harness).
  const db = process.env.PL_WALK_DB || join(dir, 'walk.db');
  const child = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0',
    '--db', db, '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, PARKLINE_HASH_COST: 'interactive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const rl = readline.createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60000);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`server exited ${code}: ${stderr}`)); });
    rl.on('line', (l) => {
      const m = /listening on http:\/\/[^:/]+:(\d+)\//.exec(l);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
  });
  child.removeAllListeners('exit');
  return { child, port, stderr: () => stderr };
}

async function stopServer(s) {
  const done = new Promise((resolve) => s.child.on('exit', (code, sig) => resolve({ code, sig })));
  s.child.kill('SIGTERM');
  const { code, sig } = await done;
  check(code === 0, `server exits 0 on SIGTERM (got ${code} ${sig})`);
}

// ----------------------------------------------------------- the walk
function expectation(role, action, target) {
  if (role === null) return action === 'public' ? 'allow' : 401;
  const scope = table.actions[action]?.[role];
  if (scope === undefined) return 'unknown';
  if (scope === 'deny') return 403;
  if (target === 'none' || scope === 'any') return 'allow';
  if (scope === 'department') return 'skip'; // no department-routed objects yet
  return target === 'own' ? 'allow' : 'hidden';
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pl-authz-'));
  let srv;
  try {
    checkDocsTable();
    const routes = execFileSync(bin, ['serve', '--print-routes'], { cwd: root, encoding: 'utf8' })
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    check(routes.length > 0, 'serve --print-routes prints routes');
    for (const r of routes)
      check(table.actions[r.action] !== undefined, `route ${r.method} ${r.path} action ${r.action} is in the table`);

    srv = await startServer(dir);
    base.port = srv.port;

    // Fixtures, as the park admin.
    const admin = await login('admin');
    const ents = (await req('GET', '/api/v1/enterprises?limit=500', { cookie: admin.cookie })).json.items;
    const E1 = ents.find((e) => e.uscc === USCC1)?.id, E2 = ents.find((e) => e.uscc === USCC2)?.id;
    if (!E1 || !E2) throw new Error('demo enterprises not found');
    const users = (await req('GET', '/api/v1/users?limit=500', { cookie: admin.cookie })).json.items;
    const U = Object.fromEntries(users.map((u) => [u.username, u]));
    // One desk request per demo enterprise, to read by id.
    const REQ = {};
    for (const e of [E1, E2]) {
      const r = await req('POST', '/api/v1/desk/requests', { cookie: admin.cookie, csrf: admin.csrf,
        body: { enterprise_id: e, channel: 'phone', category: 'consult', urgency: 'normal',
          title: 'walk fixture', description: 'authz walk' } });
      if (r.status !== 201) throw new Error(`desk request create: ${r.status} ${r.text}`);
      REQ[e] = r.json.id;
    }
    // green: one green-channel project per demo enterprise, to read by id.
    const greenBody = (e) => ({ enterprise_id: e, name: 'walk fixture',
      steps: [{ name: '立项备案', department: '发展和改革局', statutory_days: 20 }] });
    const GP = {};
    for (const e of [E1, E2]) {
      const r = await req('POST', '/api/v1/desk/green-projects', { cookie: admin.cookie, csrf: admin.csrf,
        body: greenBody(e) });
      if (r.status !== 201) throw new Error(`green project create: ${r.status} ${r.text}`);
      GP[e] = r.json.id;
    }
    // park: each demo enterprise's production-sharing switch as it is, so
    // the walk's PUTs write back the same value and change nothing.
    const SHARE = {};
    for (const e of [E1, E2]) {
      const r = await req('GET', `/api/v1/park/enterprises/${e}/sharing`, { cookie: admin.cookie });
      if (r.status !== 200) throw new Error(`park sharing read: ${r.status} ${r.text}`);
      SHARE[e] = r.json.share_production;
    }
    const adminBearer = async (role, ent, name = 'walk') => {
      const r = await req('POST', '/api/v1/tokens', { cookie: admin.cookie, csrf: admin.csrf,
        body: { name, role, ...(ent ? { enterprise_id: ent } : {}) } });
      if (r.status !== 201) throw new Error(`token create: ${r.status} ${r.text}`);
      return r.json;
    };

    // The callers: every demo account by session, a device token and an
    // enterprise token by bearer, and nobody.
    const callers = [];
    for (const [username, role, own] of [['admin', 'park_admin', E1], ['specialist1', 'specialist', E1],
      ['dept_tax', 'department', E1], ['ent1', 'enterprise', E1], ['ent2', 'enterprise', E2],
      ['auditor', 'auditor', E1]]) {
      const s = await login(username);
      callers.push({ label: username, role, own, other: own === E1 ? E2 : E1, username, ...s });
    }
    callers.push({ label: 'device-token', role: 'device', own: E1, other: E2,
      bearer: (await adminBearer('device', E1, 'walk device')).token });
    callers.push({ label: 'enterprise-token', role: 'enterprise', own: E2, other: E1,
      bearer: (await adminBearer('enterprise', E2, 'walk ent2 token')).token });
    callers.push({ label: 'anonymous', role: null, own: E1, other: E2 });

    // Names made here are unique per run: a shared database keeps them.
    const run = Math.random().toString(36).slice(2, 8);
    let n = 0;
    // How to call each route we know; target is 'own' / 'other' / 'none'.
    const plans = {
      'POST /api/v1/auth/login': (c) => [{ target: 'none',
        body: { username: c.username || 'admin', password: PASSWORD } }],
      // Bearer tokens are not sessions: allowed by the table, but the
      // server answers 409 (revoke a token instead).
      'POST /api/v1/auth/logout': (c) => [{ target: 'none', freshSession: true, noBody: true,
        allowStatuses: c.bearer ? [409] : undefined }],
      'POST /api/v1/enterprises': () => [{ target: 'none', body: { name_zh: `走查企业${run}-${++n}` } }],
      'GET /api/v1/enterprises/{id}': (c) => [{ target: 'own', id: c.own }, { target: 'other', id: c.other }],
      'PATCH /api/v1/enterprises/{id}': (c) => [
        { target: 'own', id: c.own, body: { name_en: ents.find((e) => e.id === c.own).name_en } },
        { target: 'other', id: c.other, body: { name_en: ents.find((e) => e.id === c.other).name_en } }],
      'POST /api/v1/users': () => [{ target: 'none', body: { username: `walk_${run}_${++n}`,
        password: 'walk-password-1', display_name: 'Walk', role: 'auditor' } }],
      'PATCH /api/v1/users/{id}': (c) => [
        { target: 'own', id: U[c.own === E1 ? 'ent1' : 'ent2'].id,
          body: { display_name: U[c.own === E1 ? 'ent1' : 'ent2'].display_name } },
        { target: 'other', id: U[c.own === E1 ? 'ent2' : 'ent1'].id,
          body: { display_name: U[c.own === E1 ? 'ent2' : 'ent1'].display_name } }],
      'POST /api/v1/tokens': (c) => [
        { target: 'own', bodyRef: true, body: { name: 'walk', role: 'device', enterprise_id: c.own } },
        { target: 'other', bodyRef: true, body: { name: 'walk', role: 'device', enterprise_id: c.other } }],
      // trace: a recall needs its code (an unknown one is an empty recall).
      'GET /api/v1/trace/recall': () => [{ target: 'none', query: '?code=urn:parkline:walk' }],
      'DELETE /api/v1/tokens/{id}': (c) => [
        { target: 'own', idFrom: async () => (await adminBearer('device', c.own)).id },
        { target: 'other', idFrom: async () => (await adminBearer('device', c.other)).id }],
      // desk: the enterprise comes in the body, so
      // another tenant's is refused like a missing one (400/404)
      'POST /api/v1/desk/requests': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        body: { enterprise_id: target === 'own' ? c.own : c.other, channel: 'web', category: 'consult',
          urgency: 'normal', title: `walk ${run}`, description: 'authz walk' } })),
      // allowed only after a 不满意 rating: 409 is the allowed answer otherwise
      'POST /api/v1/desk/replacements': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        allowStatuses: [201, 409], body: { enterprise_id: target === 'own' ? c.own : c.other, reason: 'walk' } })),
      'GET /api/v1/desk/requests/{id}': (c) => [{ target: 'own', id: REQ[c.own] },
        { target: 'other', id: REQ[c.other] }],
      'GET /api/v1/desk/enterprises/{id}/assignments': (c) => [{ target: 'own', id: c.own },
        { target: 'other', id: c.other }],
      // green: the enterprise comes in the body (another's is 400), by id a 404
      'POST /api/v1/desk/green-projects': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        body: greenBody(target === 'own' ? c.own : c.other) })),
      'GET /api/v1/desk/green-projects/{id}': (c) => [{ target: 'own', id: GP[c.own] },
        { target: 'other', id: GP[c.other] }],
      // desk: the SLA table is park-wide; the walk sets a cell to its default
      'PUT /api/v1/desk/sla': () => [{ target: 'none',
        body: { items: [{ category: 'consult', urgency: 'normal', sign: '2h' }] } }],
      // park-web: supplier matching; the enterprise comes in the path, the
      // query (buyer) or the body (400/404 for another tenant). The PUT keeps
      // a "make" item so the introductions below still have a supplier.
      'GET /api/v1/park/enterprises/{id}/catalog': (c) => [{ target: 'own', id: c.own },
        { target: 'other', id: c.other }],
      'PUT /api/v1/park/enterprises/{id}/catalog': (c) => ['own', 'other'].map((target) => ({ target,
        id: target === 'own' ? c.own : c.other,
        body: { items: [{ kind: 'make', industry_code: 'C2740', product: '走查产品' }] } })),
      'GET /api/v1/park/match': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        query: `?enterprise_id=${target === 'own' ? c.own : c.other}&need=${encodeURIComponent('走查产品')}` })),
      'POST /api/v1/park/introductions': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        body: { buyer_id: target === 'own' ? c.own : c.other, supplier_id: target === 'own' ? c.other : c.own,
          note: 'authz walk' } })),
      // park: an enterprise's registry profile and its sharing switch by id
      // in the path: the own enterprise (or an assigned one) 200, another
      // 404 exactly like a missing one; the PUT writes back the value read
      // above, so the walk leaves the demo as it was.
      'GET /api/v1/park/enterprises/{id}': (c) => [{ target: 'own', id: c.own },
        { target: 'other', id: c.other }],
      'GET /api/v1/park/enterprises/{id}/sharing': (c) => [{ target: 'own', id: c.own },
        { target: 'other', id: c.other }],
      'PUT /api/v1/park/enterprises/{id}/sharing': (c) => ['own', 'other'].map((target) => {
        const id = target === 'own' ? c.own : c.other;
        return { target, id, body: { share_production: SHARE[id] } };
      }),
      // park: the logistics baseline is park-wide, so it belongs to no
      // caller's enterprise: 'other' (scope any 2xx, own 404, deny 403);
      // 30 is the demo's value, written back unchanged
      'PUT /api/v1/park/logistics/baseline': () => [{ target: 'other', body: { baseline_days: 30 } }],
      // desk-wechat: the callback is public and the walk's daemon has no
      // wechat_token, so everyone (anonymous too) gets the 503, never 401/403;
      // a binding names its enterprise in the body (another's is 404)
      'GET /api/v1/desk/inbound/wechat': () => [{ target: 'none', allowStatuses: [503] }],
      'POST /api/v1/desk/inbound/wechat': () => [{ target: 'none', allowStatuses: [503] }],
      'POST /api/v1/desk/wechat-bindings': (c) => ['own', 'other'].map((target) => ({ target, bodyRef: true,
        body: { openid: `walk_${run}_${++n}`, enterprise_id: target === 'own' ? c.own : c.other,
          contact_name: '走查联系人' } })),
      // trace: a named query needs a fresh name per call (the owner's namespace)
      'POST /epcis/queries': () => [{ target: 'none',
        body: { name: `walk_${run}_${++n}`, query: { eventType: ['ObjectEvent'] } } }],
      // trace: a fresh PGLN (valid GS1 check digit) per call, for enterprise 1
      'POST /api/v1/trace/parties': () => {
        const d = `68${String(Math.floor(Math.random() * 1e3)).padStart(3, '0')}${String(++n).padStart(7, '0')}`;
        const s = [...d].reverse().reduce((t, ch, i) => t + Number(ch) * (i % 2 ? 1 : 3), 0);
        return [{ target: 'none', body: { enterprise_id: E1, gln: `https://id.gs1.org/417/${d}${(10 - (s % 10)) % 10}` } }];
      },
    };

    for (const rt of routes) {
      const key = `${rt.method} ${rt.path}`;
      const known = !rt.path.includes('{') || plans[key];
      for (const c of callers) {
        const plan = plans[key] ? plans[key](c) : [{ target: rt.path.includes('{') ? 'unknown' : 'none' }];
        for (const p of plan) {
          let exp = expectation(c.role, rt.action, p.target === 'unknown' ? 'none' : p.target);
          if (p.target === 'unknown' && exp === 'allow') exp = 'skip';
          if (exp === 'skip') { skipped++; continue; }
          let id = p.id;
          if (p.idFrom) id = await p.idFrom();
          const path = rt.path.replace('{id}', id || E1) + (p.query || '');
          let auth = { cookie: c.cookie, csrf: c.csrf, bearer: c.bearer };
          if (p.freshSession && c.username) {
            const s = await login(c.username);
            auth = { cookie: s.cookie, csrf: s.csrf };
          }
          const body = p.noBody ? undefined
            : p.body ?? (['POST', 'PATCH', 'PUT'].includes(rt.method) ? {} : undefined);
          const r = await req(rt.method, path, { ...auth, body });
          const what = `${rt.method} ${path} as ${c.label} (${p.target}): ${r.status}`;
          if (exp === 'allow') {
            if (p.allowStatuses) check(p.allowStatuses.includes(r.status), `${what}, want ${p.allowStatuses}`);
            else if (known) check(r.status >= 200 && r.status < 300, `${what}, want 2xx ${r.text || ''}`);
            else check(![401, 403, 404].includes(r.status) && r.status < 500, `${what}, want allowed`);
          } else if (exp === 'hidden') {
            const ok = p.bodyRef ? [400, 404].includes(r.status) : r.status === 404;
            check(ok, `${what}, want ${p.bodyRef ? '400/404' : '404'} (another tenant) ${r.text || ''}`);
          } else {
            check(r.status === exp, `${what}, want ${exp} ${r.text || ''}`);
          }
          if (typeof exp === 'number' || exp === 'hidden')
            check((r.headers['content-type'] || '').startsWith('application/problem+json'),
              `${what}: error is application/problem+json`);
        }
      }
    }

    // --- details the table alone does not show
    const ent1 = callers.find((c) => c.label === 'ent1');
    const spec = callers.find((c) => c.label === 'specialist1');
    for (const c of [ent1, spec]) {
      const r = await req('GET', '/api/v1/enterprises', { cookie: c.cookie });
      check(r.status === 200 && r.json.items.length === 1 && r.json.items[0].id === E1,
        `${c.label} lists only enterprise 1 (got ${r.json?.items?.map((e) => e.id)})`);
    }
    {
      const hidden = await req('GET', `/api/v1/enterprises/${E2}`, { cookie: ent1.cookie });
      const missing = await req('GET', '/api/v1/enterprises/01J99999999999999999999999', { cookie: ent1.cookie });
      check(hidden.status === 404 && missing.status === 404 && hidden.json?.type === missing.json?.type &&
        hidden.json?.title === missing.json?.title,
        `another tenant's enterprise answers exactly like a missing one (${hidden.json?.type} / ${missing.json?.type})`);
    }
    const csrfCases = [
      { label: 'no X-CSRF-Token', csrf: undefined, want: 403 },
      { label: 'wrong X-CSRF-Token', csrf: '0'.repeat(64), want: 403 },
      { label: 'right X-CSRF-Token', csrf: admin.csrf, want: 200 },
    ];
    for (const k of csrfCases) {
      const r = await req('PATCH', `/api/v1/enterprises/${E1}`, { cookie: admin.cookie, csrf: k.csrf,
        body: { name_en: ents.find((e) => e.id === E1).name_en } });
      check(r.status === k.want && (k.want !== 403 || r.json?.type === 'urn:parkline:problem:csrf'),
        `cookie PATCH with ${k.label}: ${r.status} ${r.json?.type || ''}, want ${k.want}`);
    }
    check(/HttpOnly/i.test(admin.setCookie) && /SameSite=Strict/i.test(admin.setCookie) && /Path=\//.test(admin.setCookie),
      `session cookie flags: ${admin.setCookie}`);
    for (const [label, opts] of [['malformed bearer', { bearer: 'nope' }],
      ['unknown bearer', { bearer: `pl_${'A'.repeat(43)}` }], ['unknown cookie', { cookie: 'x'.repeat(43) }]]) {
      const r = await req('GET', '/api/v1/me', opts);
      check(r.status === 401, `${label} on /me: ${r.status}, want 401`);
    }
    {
      const t = await adminBearer('auditor', null, 'walk revoke');
      const before = await req('GET', '/api/v1/me', { bearer: t.token });
      const del = await req('DELETE', `/api/v1/tokens/${t.id}`, { cookie: admin.cookie, csrf: admin.csrf });
      const after = await req('GET', '/api/v1/me', { bearer: t.token });
      check(before.status === 200 && del.status === 204 && after.status === 401,
        `revoked token stops working (${before.status}, ${del.status}, ${after.status})`);
    }
    {
      const statuses = [];
      let last;
      for (let i = 0; i < 6; i++) {
        last = await req('POST', '/api/v1/auth/login', { body: { username: 'auditor', password: 'wrong password' } });
        statuses.push(last.status);
      }
      check(statuses.slice(0, 5).every((s) => s === 401) && last.status === 429 &&
        Number(last.headers['retry-after']) >= 1,
        `5 failed logins then 429 with Retry-After (got ${statuses}, Retry-After ${last.headers['retry-after']})`);
      const good = await req('POST', '/api/v1/auth/login', { body: { username: 'auditor', password: PASSWORD } });
      check(good.status === 429, `the right password is throttled too (${good.status})`);
    }
    {
      const logout = await login('ent2');
      const r1 = await req('POST', '/api/v1/auth/logout', { cookie: logout.cookie, csrf: logout.csrf });
      const r2 = await req('GET', '/api/v1/me', { cookie: logout.cookie });
      check(r1.status === 204 && r2.status === 401, `logout ends the session (${r1.status}, ${r2.status})`);
    }
  } catch (e) {
    failed++;
    console.log(`FAIL walk aborted: ${e.stack || e}`);
    if (srv) console.log(srv.stderr().slice(-2000));
  } finally {
    if (srv) await stopServer(srv).catch((e) => { failed++; console.log(`FAIL stop: ${e}`); });
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`authz: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
}

main();
