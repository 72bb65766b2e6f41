#!/usr/bin/env node
// run.mjs - the data-driven HTTP case runner (Node 18+, stdlib only).
//
// Starts `$BIN serve --demo` (BIN defaults to build/parkline; the ASan step
// passes BIN=build/asan/parkline) on a free loopback port (it asks for port
// 0 and reads the port from the daemon's "listening on" line) with a
// temporary SQLite file, checks /readyz, runs every
// tests/cases/<area>/NNNN-slug.case file in name order, then a few built-in
// checks that a request/response file cannot express (route table vs
// OpenAPI paths, the SSE live feed, SIGTERM draining to exit 0).
//
// Case file format (see tests/cases/README.md):
//   # title and why                    comment lines
//   --- request [as USER] [fresh] [nocsrf] [chunked]
//   METHOD /path?query
//   Header: value
//   <blank line>
//   body... ("@fill N" as the only body line: a JSON object of N bytes)
//   --- expect
//   status 400
//   header Name: exact value | header Name ~ substring | header Name =~ regex
//   no-header Name
//   json {"subset": "of the body"}     ("<any>" matches any present value,
//                                       "<absent>" requires the key missing,
//                                       "~text" a substring of a string)
//   body ~ substring
//   capture VAR json.path              later ${VAR} in the same case
// ${ENT1} and ${ENT2} are the demo enterprises' ids.
//
// PL_CASE_LOG=FILE keeps the daemon's log; PL_CASE_LOG_LEVEL sets its level.
//
// Output: one line per case, failures with reasons; last line
// "cases: P passed, F failed". Exit status 0 only when nothing failed.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.PL_ROOT || path.resolve(here, '../..');
const BIN = path.resolve(root, process.env.BIN || 'build/parkline');
const filters = process.argv.slice(2);
const DEMO_PASSWORD = 'parkline-demo';
const USCC1 = '91500102203104854Y';
const USCC2 = '91500102MA5U4QXR7F';
const START_TIMEOUT_MS = Number(process.env.PL_CASE_START_MS || 120000);
const REQ_TIMEOUT_MS = Number(process.env.PL_CASE_REQ_MS || 30000);

let port = 0;
let daemon = null;
let daemonExit = null; // promise of {code, signal}
let stderrTail = '';

// ------------------------------------------------------------------ http
function request({ method, path: p, headers = {}, body = null, chunked = false }) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    const buf = body == null ? null : Buffer.from(body);
    if (buf && !chunked && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length'))
      h['Content-Length'] = String(buf.length);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${REQ_TIMEOUT_MS} ms`)), REQ_TIMEOUT_MS);
    req.on('response', (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString('utf8') });
      });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    if (buf && chunked) {
      // several writes without Content-Length: node sends chunked encoding
      for (let i = 0; i < buf.length; i += 8192) req.write(buf.subarray(i, i + 8192));
      req.end();
    } else {
      req.end(buf || undefined);
    }
  });
}

// ------------------------------------------------------------- sessions
const sessionCache = new Map(); // user -> {cookie, csrf}

async function login(user) {
  const r = await request({
    method: 'POST', path: '/api/v1/auth/login',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: DEMO_PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`login as ${user}: status ${r.status} ${r.body}`);
  const sc = [].concat(r.headers['set-cookie'] || []).find((c) => c.startsWith('pl_session='));
  if (!sc) throw new Error(`login as ${user}: no pl_session cookie`);
  return { cookie: sc.split(';')[0], csrf: JSON.parse(r.body).csrf_token };
}

async function sessionFor(user, fresh, local) {
  if (local.has(user)) return local.get(user);
  if (fresh) {
    const s = await login(user);
    local.set(user, s);
    return s;
  }
  if (!sessionCache.has(user)) sessionCache.set(user, await login(user));
  return sessionCache.get(user);
}

// -------------------------------------------------------------- parsing
function parseCase(text, file) {
  const steps = [];
  let cur = null;
  let mode = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^--- (request|expect)\b(.*)$/.exec(line);
    if (m) {
      if (m[1] === 'request') {
        const opts = m[2].trim().split(/\s+/).filter(Boolean);
        cur = { as: null, fresh: false, nocsrf: false, chunked: false, raw: [], expect: [] };
        for (let k = 0; k < opts.length; k++) {
          if (opts[k] === 'as') cur.as = opts[++k];
          else if (opts[k] === 'fresh') cur.fresh = true;
          else if (opts[k] === 'nocsrf') cur.nocsrf = true;
          else if (opts[k] === 'chunked') cur.chunked = true;
          else throw new Error(`${file}:${i + 1}: unknown request option '${opts[k]}'`);
        }
        steps.push(cur);
      } else if (!cur) {
        throw new Error(`${file}:${i + 1}: expect before any request`);
      }
      mode = m[1];
      continue;
    }
    if (!cur) {
      if (line.trim() && !line.startsWith('#')) throw new Error(`${file}:${i + 1}: text before the first request`);
      continue;
    }
    if (mode === 'request') cur.raw.push(line);
    else if (line.trim() && !line.startsWith('#')) cur.expect.push({ line, n: i + 1 });
  }
  if (!steps.length) throw new Error(`${file}: no request`);
  for (const s of steps) if (!s.expect.length) throw new Error(`${file}: a request without expectations`);
  return steps;
}

function subst(s, vars) {
  return s.replace(/\$\{([A-Z0-9_]+)\}/g, (_, k) => {
    if (!(k in vars)) throw new Error(`unknown variable \${${k}}`);
    return vars[k];
  });
}

function buildRequest(step, vars) {
  const raw = step.raw.map((l) => subst(l, vars));
  while (raw.length && !raw[0].trim()) raw.shift();
  const [method, p] = raw[0].trim().split(/\s+/);
  if (!method || !p) throw new Error(`bad request line '${raw[0]}'`);
  const headers = {};
  let i = 1;
  for (; i < raw.length && raw[i].trim(); i++) {
    const c = raw[i].indexOf(':');
    if (c < 1) throw new Error(`bad header line '${raw[i]}'`);
    headers[raw[i].slice(0, c).trim()] = raw[i].slice(c + 1).trim();
  }
  let bodyLines = raw.slice(i + 1);
  while (bodyLines.length && !bodyLines[bodyLines.length - 1].trim()) bodyLines.pop();
  let body = bodyLines.length ? bodyLines.join('\n') : null;
  const fill = body && /^@fill (\d+)$/.exec(body.trim());
  if (fill) {
    const n = Number(fill[1]);
    const pad = n - '{"name_zh":""}'.length;
    body = `{"name_zh":"${'x'.repeat(Math.max(pad, 0))}"}`;
  }
  // the case files write UTF-8 text in paths; on the wire it is %-encoded
  const wire = p.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  return { method, path: wire, headers, body, chunked: step.chunked };
}

// ------------------------------------------------------------- matching
function subset(exp, act, at) {
  if (exp === '<any>') return act === undefined ? `${at}: missing` : null;
  if (typeof exp === 'string' && exp.startsWith('~')) {
    if (typeof act !== 'string' || !act.includes(exp.slice(1))) return `${at}: ${JSON.stringify(act)} does not contain ${JSON.stringify(exp.slice(1))}`;
    return null;
  }
  if (exp === null || typeof exp !== 'object') {
    return exp === act ? null : `${at}: expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`;
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act)) return `${at}: expected an array, got ${JSON.stringify(act)}`;
    if (exp.length !== act.length) return `${at}: expected ${exp.length} items, got ${act.length}`;
    for (let i = 0; i < exp.length; i++) {
      const e = subset(exp[i], act[i], `${at}[${i}]`);
      if (e) return e;
    }
    return null;
  }
  if (act === null || typeof act !== 'object' || Array.isArray(act)) return `${at}: expected an object, got ${JSON.stringify(act)}`;
  for (const [k, v] of Object.entries(exp)) {
    if (v === '<absent>') {
      if (k in act) return `${at}.${k}: expected absent, got ${JSON.stringify(act[k])}`;
      continue;
    }
    if (!(k in act)) return `${at}.${k}: missing`;
    const e = subset(v, act[k], `${at}.${k}`);
    if (e) return e;
  }
  return null;
}

function getPath(obj, p) {
  let v = obj;
  for (const part of p.split('.')) {
    if (v == null) return undefined;
    v = /^\d+$/.test(part) && Array.isArray(v) ? v[Number(part)] : v[part];
  }
  return v;
}

function check(expects, res, vars) {
  const errs = [];
  let json;
  const parsed = () => {
    if (json === undefined) {
      try { json = JSON.parse(res.body); } catch { json = Symbol('not json'); }
    }
    return json;
  };
  for (const { line: raw, n } of expects) {
    const line = subst(raw, vars);
    let m;
    if ((m = /^status (\d{3})$/.exec(line))) {
      if (res.status !== Number(m[1])) errs.push(`line ${n}: status ${res.status}, expected ${m[1]}; body ${res.body.slice(0, 300)}`);
    } else if ((m = /^header ([^:~=\s]+)\s*(:|~|=~)\s*(.*)$/.exec(line))) {
      const v = res.headers[m[1].toLowerCase()];
      const vs = Array.isArray(v) ? v.join('\n') : v;
      if (vs === undefined) errs.push(`line ${n}: no header ${m[1]}`);
      else if (m[2] === ':' && vs !== m[3]) errs.push(`line ${n}: header ${m[1]} is '${vs}', expected '${m[3]}'`);
      else if (m[2] === '~' && !vs.includes(m[3])) errs.push(`line ${n}: header ${m[1]} '${vs}' lacks '${m[3]}'`);
      else if (m[2] === '=~' && !new RegExp(m[3]).test(vs)) errs.push(`line ${n}: header ${m[1]} '${vs}' does not match /${m[3]}/`);
    } else if ((m = /^no-header (\S+)$/.exec(line))) {
      if (res.headers[m[1].toLowerCase()] !== undefined) errs.push(`line ${n}: unexpected header ${m[1]}: ${res.headers[m[1].toLowerCase()]}`);
    } else if ((m = /^json (.*)$/.exec(line))) {
      const j = parsed();
      if (typeof j === 'symbol') errs.push(`line ${n}: body is not JSON: ${res.body.slice(0, 200)}`);
      else {
        const e = subset(JSON.parse(m[1]), j, '$');
        if (e) errs.push(`line ${n}: ${e}`);
      }
    } else if ((m = /^body ~ (.*)$/.exec(line))) {
      if (!res.body.includes(m[1])) errs.push(`line ${n}: body lacks '${m[1]}': ${res.body.slice(0, 200)}`);
    } else if ((m = /^capture ([A-Z0-9_]+) (\S+)$/.exec(line))) {
      const j = parsed();
      const v = typeof j === 'symbol' ? undefined : getPath(j, m[2]);
      if (v === undefined || v === null) errs.push(`line ${n}: nothing at ${m[2]} to capture`);
      else vars[m[1]] = String(v);
    } else {
      errs.push(`line ${n}: unknown expectation '${line}'`);
    }
  }
  return errs;
}

async function runCase(file, globals) {
  const steps = parseCase(fs.readFileSync(file, 'utf8'), file);
  const vars = { ...globals };
  const local = new Map();
  const errs = [];
  for (let i = 0; i < steps.length; i++) {
    const st = steps[i];
    const rq = buildRequest(st, vars);
    if (st.as) {
      const s = await sessionFor(st.as, st.fresh, local);
      const hk = Object.keys(rq.headers).map((k) => k.toLowerCase());
      if (!hk.includes('cookie')) rq.headers.Cookie = s.cookie;
      if (!st.nocsrf && !hk.includes('x-csrf-token')) rq.headers['X-CSRF-Token'] = s.csrf;
    }
    const res = await request(rq);
    for (const e of check(st.expect, res, vars)) errs.push(`step ${i + 1} (${rq.method} ${rq.path}): ${e}`);
    if (errs.length) break;
  }
  return errs;
}

// ------------------------------------------------------------- built-ins
function openSse(pathname, cookie) {
  // resolves once the response headers arrive; events accumulate in .text
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, headers: { Cookie: cookie, Accept: 'text/event-stream' }, agent: false });
    const s = { text: '', ended: false, waiters: [], req, status: 0, headers: {} };
    const poke = () => { for (const w of s.waiters.splice(0)) w(); };
    s.waitFor = (re, ms) => new Promise((res, rej) => {
      const deadline = setTimeout(() => rej(new Error(`no ${re} within ${ms} ms; got: ${s.text.slice(-300)}`)), ms);
      const test = () => {
        if (re.test(s.text)) { clearTimeout(deadline); res(); }
        else if (s.ended) { clearTimeout(deadline); rej(new Error(`stream ended without ${re}`)); }
        else s.waiters.push(test);
      };
      test();
    });
    s.endedP = new Promise((res) => { s.onEnd = res; });
    req.on('response', (r) => {
      s.status = r.statusCode;
      s.headers = r.headers;
      r.setEncoding('utf8');
      r.on('data', (d) => { s.text += d; poke(); });
      r.on('end', () => { s.ended = true; poke(); s.onEnd(); });
      r.on('error', () => { s.ended = true; poke(); s.onEnd(); });
      resolve(s);
    });
    req.on('error', reject);
    req.end();
  });
}

const builtins = [
  ['routes-match-openapi', async () => {
    const table = execFileSync(BIN, ['serve', '--print-routes'], { cwd: root, encoding: 'utf8' })
      .trim().split('\n').map((l) => JSON.parse(l));
    const routes = table.map((r) => `${r.method} ${r.path}`);
    const text = fs.readFileSync(path.join(root, 'docs/api/openapi.yaml'), 'utf8');
    const doc = JSON.parse(text.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
    const verbs = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
    const documented = [];
    for (const [p, item] of Object.entries(doc.paths)) for (const v of verbs) if (item[v]) documented.push(`${v.toUpperCase()} ${p}`);
    const a = new Set(routes), b = new Set(documented);
    const onlyRoutes = [...a].filter((x) => !b.has(x));
    const onlyDoc = [...b].filter((x) => !a.has(x));
    const errs = [];
    if (onlyRoutes.length) errs.push(`routes not in openapi.yaml: ${onlyRoutes.join(', ')}`);
    if (onlyDoc.length) errs.push(`openapi.yaml paths with no route: ${onlyDoc.join(', ')}`);
    if (routes.length !== a.size) errs.push('duplicate routes in the table');
    // each operation names the route's authorisation action
    for (const r of table) {
      const op = (doc.paths[r.path] || {})[r.method.toLowerCase()];
      if (op && op['x-parkline-action'] !== r.action)
        errs.push(`${r.method} ${r.path}: x-parkline-action ${op['x-parkline-action']}, route table says ${r.action}`);
    }
    return errs;
  }],
  ['sse-live-feed-filters-by-tenant', async () => {
    const admin = await sessionFor('admin', false, new Map());
    const ent2 = await sessionFor('ent2', false, new Map());
    const sa = await openSse('/api/v1/live', admin.cookie);
    const se = await openSse('/api/v1/live', ent2.cookie);
    const errs = [];
    try {
      if (sa.status !== 200 || !String(sa.headers['content-type']).startsWith('text/event-stream'))
        return [`admin stream: status ${sa.status} type ${sa.headers['content-type']}`];
      await sa.waitFor(/event: hello/, 10000);
      await se.waitFor(/event: hello/, 10000);
      // wait for the heartbeat: it proves both streams are idle and
      // established (the hub has taken its baseline) before we write
      await sa.waitFor(/: heartbeat/, 10000);
      await se.waitFor(/: heartbeat/, 10000);
      const c = await request({ method: 'POST', path: '/api/v1/enterprises', headers: { 'Content-Type': 'application/json', Cookie: admin.cookie, 'X-CSRF-Token': admin.csrf }, body: JSON.stringify({ name_zh: 'SSE 测试企业' }) });
      if (c.status !== 201) return [`create: ${c.status} ${c.body}`];
      const id = JSON.parse(c.body).id;
      await sa.waitFor(new RegExp(`"action":"enterprise.create"[^\\n]*"entity_id":"${id}"|"entity_id":"${id}"[^\\n]*"action":"enterprise.create"`), 10000);
      const p = await request({ method: 'PATCH', path: `/api/v1/enterprises/${globalsCache.ENT2}`, headers: { 'Content-Type': 'application/json', Cookie: ent2.cookie, 'X-CSRF-Token': ent2.csrf }, body: JSON.stringify({ name_en: 'Hualan Biological Vaccine Inc.' }) });
      if (p.status !== 200) return [`ent2 patch: ${p.status} ${p.body}`];
      await se.waitFor(/"action":"enterprise.update"/, 10000);
      await sa.waitFor(/"action":"enterprise.update"/, 10000);
      if (se.text.includes(id)) errs.push('ent2 saw the audit entry of an enterprise it may not see');
    } catch (e) {
      errs.push(e.message);
    } finally {
      sa.req.destroy();
      se.req.destroy();
    }
    return errs;
  }],
];

// --------------------------------------------------------------- daemon
async function startDaemon(tmp) {
  const args = ['serve', '--demo', '--listen', '127.0.0.1:0', '--db', path.join(tmp, 'cases.db'),
    '--web-root', path.join(here, 'fixtures/webroot'), '--openapi', path.join(root, 'docs/api/openapi.yaml'),
    '--log-level', process.env.PL_CASE_LOG_LEVEL || 'warn', '--threads', '2'];
  const env = { ...process.env, PARKLINE_HASH_COST: 'interactive', PARKLINE_SSE_HEARTBEAT_MS: '300', PARKLINE_DRAIN_MS: '5000',
    PARKLINE_CALENDAR_DIR: path.join(root, 'data/calendar') }; // the desk's working calendar
  delete env.PARKLINE_CONFIG;
  daemon = spawn(BIN, args, { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  daemonExit = new Promise((res) => {
    daemon.on('exit', (code, signal) => res({ code, signal }));
    daemon.on('error', (e) => res({ code: `spawn failed: ${e.message}`, signal: null }));
  });
  daemon.stderr.setEncoding('utf8');
  const logTo = process.env.PL_CASE_LOG; // keep the daemon's whole log there
  daemon.stderr.on('data', (d) => {
    stderrTail = (stderrTail + d).slice(-20000);
    if (logTo) fs.appendFileSync(logTo, d);
  });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not report its port within ${START_TIMEOUT_MS} ms\n${stderrTail}`)), START_TIMEOUT_MS);
    daemon.stdout.setEncoding('utf8');
    daemon.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)\//.exec(out);
      if (m && !port) { port = Number(m[1]); clearTimeout(timer); resolve(); }
    });
    daemonExit.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`daemon exited (${code ?? signal}) before listening\n${stderrTail}`)); });
  });
  const r = await request({ method: 'GET', path: '/readyz' });
  if (r.status !== 200) throw new Error(`/readyz: ${r.status} ${r.body}`);
}

const globalsCache = {};

async function demoGlobals() {
  const s = await sessionFor('admin', false, new Map());
  const r = await request({ method: 'GET', path: '/api/v1/enterprises?limit=500', headers: { Cookie: s.cookie } });
  const items = JSON.parse(r.body).items || [];
  const e1 = items.find((e) => e.uscc === USCC1), e2 = items.find((e) => e.uscc === USCC2);
  if (!e1 || !e2) throw new Error(`demo enterprises not found: ${r.status} ${r.body.slice(0, 300)}`);
  Object.assign(globalsCache, { ENT1: e1.id, ENT2: e2.id });
  return globalsCache;
}

function listCases() {
  const out = [];
  for (const area of fs.readdirSync(here, { withFileTypes: true })) {
    if (!area.isDirectory() || area.name === 'fixtures') continue;
    for (const f of fs.readdirSync(path.join(here, area.name)).sort())
      if (/^\d{4}-[a-z0-9-]+\.case$/.test(f)) out.push(path.join(area.name, f));
  }
  return out.sort().filter((f) => !filters.length || filters.some((w) => f.includes(w)));
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cases-'));
  let pass = 0, fail = 0;
  const report = (name, errs) => {
    if (errs.length) { fail++; console.log(`   FAIL ${name}`); for (const e of errs) console.log(`        ${e}`); }
    else { pass++; console.log(`   ok   ${name}`); }
  };
  try {
    await startDaemon(tmp);
    const globals = await demoGlobals();
    for (const c of listCases()) {
      let errs;
      try { errs = await runCase(path.join(here, c), globals); } catch (e) { errs = [e.message]; }
      report(c, errs);
    }
    for (const [name, fn] of builtins) {
      if (filters.length && !filters.some((w) => name.includes(w))) continue;
      let errs;
      try { errs = await fn(); } catch (e) { errs = [e.message]; }
      report(`builtin/${name}`, errs);
    }
    // SIGTERM with a live stream and a half-sent request open: the stream
    // must end, the request must still be answered (drained), and the
    // daemon must exit 0
    if (!filters.length || filters.some((w) => 'sigterm'.includes(w))) {
      const errs = [];
      const admin = await sessionFor('admin', false, new Map());
      const s = await openSse('/api/v1/live', admin.cookie);
      await s.waitFor(/event: hello/, 10000);
      const body = Buffer.from(JSON.stringify({ name_zh: '停机时创建的企业' }));
      const slow = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/enterprises', agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), Cookie: admin.cookie, 'X-CSRF-Token': admin.csrf } });
      const slowRes = new Promise((res) => {
        slow.on('response', (r) => { r.resume(); r.on('end', () => res(r.statusCode)); });
        slow.on('error', (e) => res(`error ${e.message}`));
      });
      slow.write(body.subarray(0, 5));
      // the request is in flight once the daemon counts it: /metrics itself
      // is one, so wait for two (a condition, not a sleep)
      for (let i = 0; ; i++) {
        const m = await request({ method: 'GET', path: '/metrics', headers: { Cookie: admin.cookie } });
        const v = /^parkline_http_requests_in_flight (\d+)$/m.exec(m.body);
        if (v && Number(v[1]) >= 2) break;
        if (i > 200) { errs.push('the half-sent request never showed as in flight'); break; }
      }
      daemon.kill('SIGTERM');
      slow.end(body.subarray(5));
      const st = await Promise.race([slowRes, new Promise((res) => setTimeout(() => res('timeout'), 15000))]);
      if (st !== 201) errs.push(`request in flight at SIGTERM: ${st}, expected 201`);
      const timeout = new Promise((res) => setTimeout(() => res({ code: 'timeout' }), 20000));
      const ex = await Promise.race([daemonExit, timeout]);
      if (ex.code !== 0) errs.push(`daemon exit after SIGTERM: ${ex.code ?? ex.signal}\n${stderrTail.slice(-3000)}`);
      const ended = await Promise.race([s.endedP.then(() => true), new Promise((res) => setTimeout(() => res(false), 5000))]);
      if (!ended) errs.push('the SSE stream did not end on SIGTERM');
      if (/AddressSanitizer|runtime error:|LeakSanitizer/.test(stderrTail)) errs.push(`sanitizer report:\n${stderrTail.slice(-3000)}`);
      report('builtin/sigterm-drains-and-exits-0', errs);
    }
  } catch (e) {
    fail++;
    console.log(`   FAIL harness: ${e.message}`);
  } finally {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`cases: ${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
}

main();
