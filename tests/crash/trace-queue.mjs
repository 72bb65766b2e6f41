// trace-queue.mjs - the crash test of asynchronous EPCIS capture
// (src/trace/queue.c): every acknowledged (202) capture job completes, even
// when the daemon is kill -9ed while jobs are still queued.
//
//   1. starts `parkline serve --demo` on a temporary SQLite file,
//   2. logs in as ent2 and sends --docs capture documents of --events events
//      each at once (no Prefer: wait, so each 202 comes as soon as the
//      document is stored as a pending job),
//   3. kill -9s the daemon the moment the last 202 arrives (a count of
//      acks, never a timer) and reads the queue table with the sqlite3 CLI:
//      at least one job must still be pending there, or the test proved
//      nothing and says so,
//   4. restarts the daemon on the same file and captures one more document
//      with Prefer: wait=60: jobs run in acknowledgement order, so when
//      that one is finished every earlier one is too (no polling),
//   5. checks every acknowledged job finished with success and stored all
//      its events, the queue is empty, and the events are there once.
//
// Usage: node tests/crash/trace-queue.mjs [--bin build/parkline]
//          [--docs 40] [--events 400]
// Prints "ok - ..." / "not ok - ..." lines and "RESULT <passed> <failed>";
// exits 0 only when every check passed. Stdlib only (Node 18+).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { check, freePort, request as httpRequest, results } from '../support/check.mjs';

const PASSWORD = 'parkline-demo';
const START_DEADLINE_MS = 90000;
const REQUEST_TIMEOUT_MS = 120000;

const opt = { bin: 'build/parkline', docs: 40, events: 400 };
for (let i = 2; i < process.argv.length; i += 2) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === '--bin' && v) opt.bin = v;
  else if ((a === '--docs' || a === '--events') && /^[0-9]+$/.test(v || '') && Number(v) >= 1 && Number(v) <= 10000)
    opt[a.slice(2)] = Number(v);
  else {
    process.stderr.write(`trace-queue.mjs: bad argument '${a}'\nusage: node tests/crash/trace-queue.mjs [--bin PATH] [--docs N] [--events N]\n`);
    process.exit(2);
  }
}

const request = (d, ...a) => httpRequest({ port: d.port, agent: d.agent, timeoutMs: REQUEST_TIMEOUT_MS }, ...a);

async function start(dir, db, name) {
  const d = { port: await freePort(), agent: new http.Agent({ keepAlive: true, maxSockets: 64 }) };
  const logPath = path.join(dir, `${name}.log`);
  const log = fs.openSync(logPath, 'a');
  d.child = spawn(opt.bin, ['serve', '--demo', '--listen', `127.0.0.1:${d.port}`, '--db', db],
    { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let gone = null;
  d.exited = new Promise((resolve) => d.child.on('exit', (code, signal) => { gone = { code, signal }; resolve(gone); }));
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${name} exited during start-up; see ${logPath}`);
    try { if ((await request(d, 'GET', '/readyz')).status === 200) return d; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50)); // start-up readiness poll, bounded
  }
  throw new Error(`${name} not ready; see ${logPath}`);
}

async function login(d, username) {
  const r = await request(d, 'POST', '/api/v1/auth/login', { body: { username, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login: HTTP ${r.status}`);
  const cookie = (r.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('pl_session='));
  return { Cookie: cookie, 'X-CSRF-Token': r.body.csrf_token };
}

// One document of n events, unique per (tag, doc): station observations
// of distinct vials, so every event has its own hash.
function doc(tag, k, n) {
  const events = [];
  for (let i = 0; i < n; i++) {
    const serial = `${tag}${String(k).padStart(3, '0')}${String(i).padStart(5, '0')}`;
    events.push({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'inspecting',
      eventTime: '2026-05-04T08:00:00.000Z', eventTimeZoneOffset: '+08:00',
      epcList: [`urn:epc:id:sgtin:0614141.107346.${serial}`],
      readPoint: { id: 'urn:epc:id:sgln:0614141.00777.0' } });
  }
  return JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'],
    type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-05-04T08:00:00Z',
    epcisBody: { eventList: events } });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-trace-queue-'));
  const db = path.join(dir, 'pl.db');
  const tag = String(process.pid % 900 + 100);
  let a = null, b = null;
  try {
    a = await start(dir, db, 'first');
    const auth = await login(a, 'ent2');
    const ct = { ...auth, 'Content-Type': 'application/ld+json' };
    const docs = [];
    for (let k = 0; k < opt.docs; k++) docs.push(doc(tag, k, opt.events));
    const acked = [];
    let killed = null;
    await Promise.all(docs.map(async (raw) => {
      const r = await request(a, 'POST', '/epcis/capture', { raw, headers: ct });
      if (r.status === 202) acked.push(r.body.captureID);
      if (acked.length === opt.docs && !killed) {
        a.child.kill('SIGKILL'); // the last ack triggers the kill
        killed = a.exited;
      }
    }));
    check(acked.length === opt.docs, `all ${opt.docs} captures acknowledged with 202`, `${acked.length}`);
    await killed;
    a.agent.destroy();
    const pending = Number(execFileSync('sqlite3', [db, 'SELECT count(*) FROM trace_capture_queue'])
      .toString().trim());
    check(pending > 0, 'jobs were still pending when the daemon was killed', `${pending} pending`);
    console.log(`# ${pending} of ${opt.docs} jobs pending at the kill`);

    b = await start(dir, db, 'second');
    const auth2 = await login(b, 'ent2');
    const last = await request(b, 'POST', '/epcis/capture',
      { raw: doc(tag, 999, 1), headers: { ...auth2, 'Content-Type': 'application/ld+json', Prefer: 'wait=60' } });
    check(last.status === 202 && last.body.running === false && last.body.success === true,
      'a capture after the restart finishes (so every earlier job has run)', JSON.stringify(last.body));
    let ok = 0;
    for (const id of acked) {
      const r = await request(b, 'GET', `/epcis/capture/${id}`, { headers: auth2 });
      if (r.status === 200 && r.body.running === false && r.body.success === true &&
          r.body.stored === opt.events && r.body.duplicates === 0) ok++;
      else console.log(`# job ${id}: ${JSON.stringify(r.body)}`);
    }
    check(ok === acked.length, 'every acknowledged job finished with every event stored once', `${ok}/${acked.length}`);
    const left = Number(execFileSync('sqlite3', [db, 'SELECT count(*) FROM trace_capture_queue']).toString().trim());
    check(left === 0, 'the queue is empty', `${left}`);
    const stored = Number(execFileSync('sqlite3', [db,
      `SELECT count(*) FROM trace_events WHERE event_id LIKE 'ni:%' AND body_json LIKE '%107346.${tag}%'`]).toString().trim());
    check(stored === opt.docs * opt.events + 1, 'the events are stored exactly once',
      `${stored} != ${opt.docs * opt.events + 1}`);
  } catch (e) {
    check(false, 'run', e.stack || String(e));
  } finally {
    if (a && a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    if (b) {
      b.child.kill('SIGTERM');
      const code = await b.exited;
      check(code.code === 0, 'the restarted daemon stops cleanly on SIGTERM', JSON.stringify(code));
      b.agent.destroy();
    }
  }
  if (results.fail === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`# kept ${dir}`);
  console.log(`RESULT ${results.pass} ${results.fail}`);
  process.exit(results.fail ? 1 : 0);
}

main();
