// subscriptions.mjs - EPCIS subscriptions end to end (src/trace/subscribe.c)
// against a real local webhook receiver started here:
//   1. a streaming subscription gets a capture's events soon after it,
//      signed (GS1-Signature = HMAC-SHA256(signatureToken, body), hex);
//   2. with the receiver down, a capture's push fails and is retried (the
//      subscription shows failedAttempts); once the receiver is up again the
//      events arrive - and across all pushes no event comes twice;
//   3. a scheduled subscription (every second, reportIfEmpty, an
//      initialRecordTime in the past) first gets every earlier match, then
//      empty reports - nothing repeated;
//   4. bad subscription bodies are refused and store nothing; unsubscribing
//      stops it.
// Waits are on observable state (a delivery arriving, the subscription's
// own counters), each bounded by a deadline; never a guessed sleep.
// Usage: node tests/trace/subscriptions.mjs [--bin build/parkline]
// Prints "ok - ..." lines and "RESULT <passed> <failed>". Stdlib only.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { check, freePort, request as httpRequest, results } from '../support/check.mjs';

const bin = process.argv[2] === '--bin' && process.argv[3] ? process.argv[3] : 'build/parkline';
const PASSWORD = 'parkline-demo';
const TOKEN = 's3cret-token';
const request = (d, ...a) => httpRequest({ port: d.port, timeoutMs: 30000, parse: 'nullable' }, ...a);

// The webhook receiver: records every POST; waitFor resolves on the first
// recorded delivery (past or future) matching pred.
class Receiver {
  constructor(port) { this.port = port; this.got = []; this.waiters = []; this.server = null; }
  up() {
    return new Promise((resolve, reject) => {
      this.server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const raw = Buffer.concat(chunks);
          let doc = null;
          try { doc = JSON.parse(raw.toString('utf8')); } catch { /* recorded as null */ }
          const d = { path: req.url, headers: req.headers, raw, doc,
            events: doc?.epcisBody?.queryResults?.resultsBody?.eventList ?? [] };
          this.got.push(d);
          res.writeHead(204).end();
          for (const w of this.waiters.splice(0)) w();
        });
      });
      this.server.on('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
  }
  down() { return new Promise((resolve) => { this.server.closeAllConnections?.(); this.server.close(resolve); }); }
  waitFor(pred, ms, what) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no delivery ${what} within ${ms} ms`)), ms);
      const test = () => {
        const hit = this.got.find(pred);
        if (hit) { clearTimeout(t); resolve(hit); } else this.waiters.push(test);
      };
      test();
    });
  }
}

async function start(dir) {
  const d = { port: await freePort() };
  const log = fs.openSync(path.join(dir, 'daemon.log'), 'a');
  d.child = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${d.port}`, '--db', path.join(dir, 'pl.db')],
    { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  d.exited = new Promise((resolve) => d.child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    try { if ((await request(d, 'GET', '/readyz')).status === 200) return d; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50)); // start-up readiness poll, bounded
  }
  throw new Error('daemon not ready');
}

function doc(ids) {
  return JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'],
    type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-05-05T08:00:00Z',
    epcisBody: { eventList: ids.map((id, i) => ({ type: 'ObjectEvent', eventID: id, action: 'OBSERVE',
      bizStep: 'receiving', eventTime: '2026-05-05T08:00:00Z', eventTimeZoneOffset: '+00:00',
      epcList: [`urn:epc:id:sgtin:0614141.107346.77${i}${ids.length}`] })) } });
}

// Polls the subscription list until pred holds (bounded): the daemon's own
// record of its delivery attempts is the state we wait on.
async function untilSub(d, auth, name, pred, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const r = await request(d, 'GET', `/epcis/queries/${name}/subscriptions`, { headers: auth });
    if (r.status === 200 && pred(r.body)) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('subscription state not reached');
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-trace-subs-'));
  const rx = new Receiver(await freePort());
  let d = null;
  try {
    await rx.up();
    d = await start(dir);
    const lr = await request(d, 'POST', '/api/v1/auth/login', { body: { username: 'ent2', password: PASSWORD } });
    const cookie = (lr.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('pl_session='));
    const auth = { Cookie: cookie, 'X-CSRF-Token': lr.body.csrf_token };
    const capture = (ids) => request(d, 'POST', '/epcis/capture',
      { raw: doc(ids), headers: { ...auth, 'Content-Type': 'application/ld+json', Prefer: 'wait=20' } });
    const q = await request(d, 'POST', '/epcis/queries', { headers: auth,
      body: { name: 'received', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['receiving'] } } });
    check(q.status === 201, 'named query created', JSON.stringify(q.body));

    // bad bodies (table): each refused, none stored
    const dest = `http://127.0.0.1:${rx.port}`;
    const bad = [
      [{ dest: `${dest}/x`, stream: true, schedule: { second: '0' } }, 400],
      [{ dest: `${dest}/x` }, 400],
      [{ dest: 'ftp://127.0.0.1/x', stream: true }, 400],
      [{ dest: `${dest}/x`, schedule: { minute: '61' } }, 400],
      [{ dest: `${dest}/x`, schedule: { fortnight: '1' } }, 400],
      [{ dest: `${dest}/x`, stream: true, initialRecordTime: 'yesterday' }, 400],
    ];
    for (const [body, want] of bad) {
      const r = await request(d, 'POST', '/epcis/queries/received/subscriptions', { headers: auth, body });
      check(r.status === want, `refused: ${JSON.stringify(body)}`, `${r.status} ${JSON.stringify(r.body)}`);
    }
    const none = await request(d, 'POST', '/epcis/queries/nosuch/subscriptions', { headers: auth,
      body: { dest: `${dest}/x`, stream: true } });
    check(none.status === 404, 'a subscription to an unknown query is a 404', `${none.status}`);
    const l0 = await request(d, 'GET', '/epcis/queries/received/subscriptions', { headers: auth });
    check(l0.status === 200 && l0.body.length === 0, 'nothing stored by the refusals', JSON.stringify(l0.body));

    // 1. streaming
    const s1 = await request(d, 'POST', '/epcis/queries/received/subscriptions', { headers: auth,
      body: { dest: `${dest}/stream`, signatureToken: TOKEN, stream: true } });
    check(s1.status === 201 && /\/subscriptions\/[0-9A-Z]{26}$/.test(s1.headers.location || ''),
      'streaming subscription created', JSON.stringify(s1.body));
    const A = ['urn:uuid:5b0e7c1e-0000-4000-8000-00000000000a', 'urn:uuid:5b0e7c1e-0000-4000-8000-00000000000b',
      'urn:uuid:5b0e7c1e-0000-4000-8000-00000000000c'];
    const ca = await capture(A);
    check(ca.status === 202 && ca.body.success === true, 'capture A stored', JSON.stringify(ca.body));
    const t0 = Date.now();
    const da = await rx.waitFor((g) => g.path === '/stream' && g.events.some((e) => e.eventID === A[0]), 15000, 'of A');
    console.log(`# streamed ${Date.now() - t0} ms after capture`);
    check(da.events.length === 3 && A.every((id) => da.events.some((e) => e.eventID === id)),
      'the push holds capture A\'s three events', JSON.stringify(da.events.map((e) => e.eventID)));
    check(da.doc.type === 'EPCISQueryDocument' && da.doc.epcisBody.queryResults.queryName === 'received',
      'the push is an EPCISQueryDocument of the named query');
    const sig = crypto.createHmac('sha256', TOKEN).update(da.raw).digest('hex');
    check(da.headers['gs1-signature'] === sig, 'GS1-Signature is HMAC-SHA256(signatureToken, body)',
      `${da.headers['gs1-signature']} != ${sig}`);

    // 2. receiver down, then up
    await rx.down();
    const B = ['urn:uuid:5b0e7c1e-0000-4000-8000-0000000000b1', 'urn:uuid:5b0e7c1e-0000-4000-8000-0000000000b2'];
    const cb = await capture(B);
    check(cb.status === 202 && cb.body.success === true, 'capture B stored while the receiver is down');
    const st = await untilSub(d, auth, 'received', (l) => l[0] && l[0].failedAttempts >= 1, 20000);
    check(st[0].lastError && st[0].lastError.length > 0, 'the failed push is recorded', JSON.stringify(st[0]));
    await rx.up();
    const db = await rx.waitFor((g) => g.path === '/stream' && g.events.some((e) => e.eventID === B[0]), 30000, 'of B after retry');
    check(db.events.length === 2, 'after the retry the push holds capture B\'s two events',
      JSON.stringify(db.events.map((e) => e.eventID)));
    const ok2 = await untilSub(d, auth, 'received', (l) => l[0] && l[0].failedAttempts === 0 && l[0].lastDeliveryAt, 10000);
    check(!!ok2, 'the subscription is healthy again');

    // 3. scheduled, from the past, every second, reportIfEmpty
    const s2 = await request(d, 'POST', '/epcis/queries/received/subscriptions', { headers: auth,
      body: { dest: `${dest}/sched`, schedule: { second: '0-59' }, reportIfEmpty: true,
        initialRecordTime: '2020-01-01T00:00:00Z' } });
    check(s2.status === 201, 'scheduled subscription created', JSON.stringify(s2.body));
    const first = await rx.waitFor((g) => g.path === '/sched', 15000, 'scheduled');
    check(first.events.length === 5, 'the first scheduled push holds every earlier match (5)',
      `${first.events.length}`);
    await rx.waitFor((g) => g.path === '/sched' && g !== first && g.events.length === 0, 15000, 'empty report');
    check(true, 'a later scheduled push is an empty report (reportIfEmpty), not a repeat');

    // no event twice on either subscription
    for (const p of ['/stream', '/sched']) {
      const ids = rx.got.filter((g) => g.path === p).flatMap((g) => g.events.map((e) => e.eventID));
      check(ids.length === 5 && new Set(ids).size === 5, `${p}: five events, none twice`, JSON.stringify(ids));
    }

    // 4. unsubscribe
    const list = await request(d, 'GET', '/epcis/queries/received/subscriptions', { headers: auth });
    for (const s of list.body) {
      const r = await request(d, 'DELETE', `/epcis/queries/received/subscriptions/${s.subscriptionID}`, { headers: auth });
      check(r.status === 204, 'unsubscribed', `${r.status}`);
    }
    const l2 = await request(d, 'GET', '/epcis/queries/received/subscriptions', { headers: auth });
    check(l2.body.length === 0 && !JSON.stringify(list.body).includes(TOKEN), 'none left; tokens were never shown');
  } catch (e) {
    check(false, 'run', e.stack || String(e));
  } finally {
    if (d) {
      d.child.kill('SIGTERM');
      const code = await d.exited;
      check(code.code === 0, 'the daemon stops cleanly on SIGTERM', JSON.stringify(code));
    }
    if (rx.server?.listening) await rx.down();
  }
  if (results.fail === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`# kept ${dir}`);
  console.log(`RESULT ${results.pass} ${results.fail}`);
  process.exit(results.fail ? 1 : 0);
}

main();
