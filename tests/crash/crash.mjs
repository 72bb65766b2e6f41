// crash.mjs - the crash test: no acknowledged write may be lost.
//
// For one store (SQLite file by default, PostgreSQL when --pg URL is
// given) it
//   1. starts `parkline serve --demo` on a free loopback port,
//   2. logs in as the demo admin,
//   3. sends a burst of concurrent writes (POST /api/v1/enterprises, each
//      with a unique name) and, the moment the Nth write is acknowledged
//      with a 2xx, kill -9s the daemon while the other writers still have
//      requests in flight (the trigger is a count of acks, never a timer),
//   4. restarts the daemon on the same database and reads every
//      acknowledged enterprise back (GET /api/v1/enterprises/{id}), and
//      checks that the list finds between the acknowledged and the sent
//      count of the burst's names (in-flight writes may or may not have
//      landed; acked ones must have, and none twice).
// With --pg it also starts a second daemon on the same database and shows
// that a write through one is read back through the other, both with a
// session made on the other daemon and with its own login.
//
// Usage: node tests/crash/crash.mjs [--bin build/parkline] [--pg URL]
//          [--acks 150] [--writers 16] [--total 2000]
// Prints one line per check ("ok - ..." / "not ok - ...") and finally
// "RESULT <passed> <failed>"; exits 0 only when every check passed.
// Stdlib only; runs on Node 18 and later. Temp files live in one mkdtemp
// directory, removed on success and kept (path printed) on failure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { check, freePort, request as httpRequest, results } from '../support/check.mjs';

const DEMO_PASSWORD = 'parkline-demo';
const START_DEADLINE_MS = 90000;  // a daemon that is not ready by then has failed
const REQUEST_TIMEOUT_MS = 15000; // one request; the whole run is bounded by the step

function parseArgs(argv) {
  const opt = { bin: 'build/parkline', pg: null, acks: 150, writers: 16, total: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const num = () => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 100000) usage(`${a} needs a whole number 1..100000`);
      i++;
      return n;
    };
    if (a === '--bin' && v) { opt.bin = v; i++; }
    else if (a === '--pg' && v) { opt.pg = v; i++; }
    else if (a === '--acks') opt.acks = num();
    else if (a === '--writers') opt.writers = num();
    else if (a === '--total') opt.total = num();
    else usage(`unknown argument '${a}'`);
  }
  if (opt.acks >= opt.total) usage('--acks must be smaller than --total, or the kill is not mid-burst');
  return opt;
}

function usage(why) {
  process.stderr.write(`crash.mjs: ${why}\nusage: node tests/crash/crash.mjs [--bin PATH] [--pg URL] [--acks N] [--writers N] [--total N]\n`);
  process.exit(2);
}

// ------------------------------------------------------------------ HTTP
// One request (tests/support/check.mjs): resolves {status, headers, body
// (parsed JSON or text)} or rejects with the socket error (ECONNRESET,
// ECONNREFUSED...).
const request = (agent, port, ...a) => httpRequest({ agent, port, timeoutMs: REQUEST_TIMEOUT_MS }, ...a);

// ---------------------------------------------------------------- daemon
class Daemon {
  constructor(bin, db, dir, name, demo) {
    this.bin = bin; this.db = db; this.dir = dir; this.name = name; this.demo = demo;
    this.port = 0; this.child = null; this.exited = null;
    this.logPath = path.join(dir, `${name}.log`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  async start() {
    this.port = await freePort();
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--db', this.db];
    if (this.demo) args.splice(1, 0, '--demo');
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `--- ${this.bin} ${args.join(' ')}\n`);
    // The web root may not be built; the daemon serves the API without it.
    this.child = spawn(this.bin, args, { stdio: ['ignore', log, log], cwd: process.cwd() });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    let gone = null;
    this.exited.then((e) => { gone = e; });
    const deadline = Date.now() + START_DEADLINE_MS;
    // Wait for readiness by polling the daemon's own probe (bounded), not
    // by sleeping a guessed time.
    while (Date.now() < deadline) {
      if (gone) throw new Error(`${this.name} exited during start-up (${JSON.stringify(gone)}); see ${this.logPath}`);
      try {
        const r = await request(this.agent, this.port, 'GET', '/readyz');
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} not ready after ${START_DEADLINE_MS} ms; see ${this.logPath}`);
  }

  kill9() {
    this.child.kill('SIGKILL');
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    return this.exited;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(t);
    this.agent.destroy();
  }

  logTail(n = 20) {
    try { return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
  }
}

// Logs in as the demo admin; returns the headers a cookie-authenticated
// write needs.
async function login(d) {
  const r = await request(d.agent, d.port, 'POST', '/api/v1/auth/login',
    { body: { username: 'admin', password: DEMO_PASSWORD } });
  if (r.status !== 200) throw new Error(`login on ${d.name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  const cookie = (r.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('pl_session='));
  if (!cookie || !r.body.csrf_token) throw new Error(`login on ${d.name}: no pl_session cookie or csrf_token`);
  return { Cookie: cookie, 'X-CSRF-Token': r.body.csrf_token };
}

function createdId(r) {
  if (r.body && typeof r.body === 'object' && typeof r.body.id === 'string') return r.body.id;
  const loc = r.headers.location || '';
  return loc.split('/').pop() || null;
}

// ------------------------------------------------------------ the burst
// `writers` loops each send one write at a time until the kill. The Nth
// 2xx triggers kill -9 synchronously inside its response handler, so the
// other writers' requests are on the wire when the daemon dies.
async function burst(d, auth, opt, tag) {
  const acked = [];   // {id, name}
  let sent = 0, inflight = 0, inflightAtKill = -1, failedAfterKill = 0, killed = null;
  const errors = [];

  async function writer() {
    while (!killed && sent < opt.total) {
      const name = `崩溃测试 ${tag} #${String(sent++).padStart(5, '0')}`;
      inflight++;
      try {
        const r = await request(d.agent, d.port, 'POST', '/api/v1/enterprises',
          { body: { name_zh: name, name_en: `crash test ${tag}` }, headers: auth });
        inflight--;
        if (r.status >= 200 && r.status < 300) {
          // A 2xx that raced the kill is still an acknowledgement.
          acked.push({ id: createdId(r), name });
          if (!killed && acked.length >= opt.acks) {
            inflightAtKill = inflight;
            killed = d.kill9();
          }
        } else if (!killed) {
          errors.push(`HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          if (errors.length > 5) break; // the daemon refuses writes: no point
        }
      } catch (e) {
        inflight--;
        if (killed) failedAfterKill++;
        else { errors.push(e.message); if (errors.length > 5) break; }
      }
    }
  }
  await Promise.all(Array.from({ length: opt.writers }, writer));
  const exit = killed ? await killed : null;
  return { acked, sent, inflightAtKill, failedAfterKill, exit, errors };
}

async function verify(d, auth, acked, sent, tag, label) {
  const missing = [];
  for (const w of acked) {
    let r;
    try {
      r = w.id ? await request(d.agent, d.port, 'GET', `/api/v1/enterprises/${encodeURIComponent(w.id)}`, { headers: auth }) : null;
    } catch (e) { r = { status: e.message }; }
    if (!r || r.status !== 200 || r.body.name_zh !== w.name) missing.push(`${w.id} (${w.name}): ${r ? r.status : 'no id in the 201'}`);
  }
  check(missing.length === 0, `${label}: all ${acked.length} acknowledged writes are present after kill -9 and restart`,
    `${missing.length} missing, first: ${missing.slice(0, 3).join('; ')}`);

  // The list view agrees: at least every acked name of this burst is there.
  const r = await request(d.agent, d.port, 'GET',
    `/api/v1/enterprises?q=${encodeURIComponent(`crash test ${tag}`)}&limit=1`, { headers: auth });
  // Between the acked and the sent count: fewer would be a lost write, more
  // a write applied twice.
  check(r.status === 200 && Number.isInteger(r.body.total) && r.body.total >= acked.length && r.body.total <= sent,
    `${label}: the enterprise list finds ${r.body && r.body.total} of the burst (${acked.length} acked, ${sent} sent)`,
    `HTTP ${r.status}, total ${r.body && r.body.total}`);
}

async function crashRun(opt, dir, db, label) {
  const tag = `${label}-${process.pid}-${Date.now()}`;
  const d = new Daemon(opt.bin, db, dir, `${label}-daemon`, true);
  const daemons = [d];
  try {
    await d.start();
    const auth = await login(d);
    const b = await burst(d, auth, opt, tag);
    const midBurst = b.exit !== null && b.exit.signal === 'SIGKILL' && b.sent < opt.total && b.inflightAtKill > 0;
    check(midBurst, `${label}: daemon kill -9ed after ${b.acked.length} acks with ${b.inflightAtKill} writes in flight (${b.sent} of ${opt.total} sent)`,
      b.errors.length ? `write errors before the kill: ${b.errors.slice(0, 3).join('; ')}` : `exit ${JSON.stringify(b.exit)}`);
    if (!midBurst) return;

    // Restart on the same database, without --demo: the data is already there.
    const d2 = new Daemon(opt.bin, db, dir, `${label}-restarted`, false);
    daemons.push(d2);
    await d2.start();
    const auth2 = await login(d2);
    await verify(d2, auth2, b.acked, b.sent, tag, label);
  } catch (e) {
    check(false, `${label}: crash run`, `${e.message}\n${daemons.map((x) => x.logTail()).join('\n')}`);
  } finally {
    for (const x of daemons) await x.stop();
  }
}

// Two daemons on one PostgreSQL database: a write through A is read back
// through B, with B's own login and with A's session (sessions live in the
// shared store, so a load balancer may send a client to either).
async function twoDaemons(opt, dir, url) {
  const a = new Daemon(opt.bin, url, dir, 'pg-a', false);
  const b = new Daemon(opt.bin, url, dir, 'pg-b', false);
  try {
    await a.start();
    await b.start();
    const authA = await login(a);
    const name = `双进程 ${process.pid}-${Date.now()}`;
    const w = await request(a.agent, a.port, 'POST', '/api/v1/enterprises', { body: { name_zh: name }, headers: authA });
    if (!check(w.status === 201, 'pg: write through daemon A acknowledged', `HTTP ${w.status} ${JSON.stringify(w.body)}`)) return;
    const id = createdId(w);
    const authB = await login(b);
    const r1 = await request(b.agent, b.port, 'GET', `/api/v1/enterprises/${id}`, { headers: authB });
    check(r1.status === 200 && r1.body.name_zh === name, 'pg: daemon B reads back the write made through daemon A',
      `HTTP ${r1.status} ${JSON.stringify(r1.body)}`);
    const r2 = await request(b.agent, b.port, 'GET', `/api/v1/enterprises/${id}`, { headers: authA });
    check(r2.status === 200 && r2.body.name_zh === name, 'pg: a session made on daemon A is valid on daemon B',
      `HTTP ${r2.status} ${JSON.stringify(r2.body)}`);
  } catch (e) {
    check(false, 'pg: two daemons on one database', `${e.message}\n${a.logTail()}\n${b.logTail()}`);
  } finally {
    await a.stop();
    await b.stop();
  }
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opt.bin)) usage(`no daemon binary at ${opt.bin} (run make)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-crash-'));
  if (opt.pg) {
    await crashRun(opt, dir, opt.pg, 'pg');
    await twoDaemons(opt, dir, opt.pg);
  } else {
    await crashRun(opt, dir, path.join(dir, 'park.db'), 'sqlite');
  }
  console.log(`RESULT ${results.pass} ${results.fail}`);
  if (results.fail === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`logs kept in ${dir}`);
  process.exit(results.fail === 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(`not ok - crash test aborted: ${e.stack || e}`);
  console.log(`RESULT ${results.pass} ${results.fail + 1}`);
  process.exit(1);
});
