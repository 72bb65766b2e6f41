// outbox.mjs - the notification outbox crash test (docs/notify.md): a crash never loses or doubles a
// notification.
//
// For one store (SQLite file by default, PostgreSQL with --pg URL) it
//   1. starts the fake provider (tests/fakes/notify-fake.mjs), slowed so
//      sends are in flight, which verifies every signature and counts
//      deliveries per idempotency key;
//   2. starts `parkline serve --demo` once to create the park, stops it, and
//      gives specialist1 a phone and a WeChat openid (sqlite3 / psql), so
//      each dispatch queues an SMS (Aliyun format), a WeChat template
//      message and a webhook call;
//   3. restarts it with the sender on (notify_enabled) and raises requests
//      as ent1; the fake kill -9s the daemon when it has delivered the k-th
//      message, before answering it - the worst moment: the provider has
//      the message, the outbox still says 'sending';
//   4. restarts the daemon and waits (bounded) until the outbox has no
//      pending or sending rows, then checks: every row of every
//      acknowledged request is 'sent'; the fake delivered exactly the set
//      of dedupe keys in the outbox, each once; at least one key was sent
//      twice (the resend after the crash), and the fake dropped it; no
//      signature was refused.
//
// Usage: node tests/crash/outbox.mjs [--bin build/parkline] [--pg URL]
//          [--requests 20] [--kill-after 12]
// Prints "ok - ..." / "not ok - ..." lines and "RESULT <passed> <failed>";
// exits 0 only when every check passed. Node 18+, standard library only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { check, freePort, request as httpRequest, results } from '../support/check.mjs';

const PASSWORD = 'parkline-demo';
const DEADLINE_MS = 90000;

const opt = { bin: 'build/parkline', pg: null, requests: 20, killAfter: 12 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === '--bin') { opt.bin = v; i++; }
  else if (a === '--pg') { opt.pg = v; i++; }
  else if (a === '--requests') { opt.requests = Number(v); i++; }
  else if (a === '--kill-after') { opt.killAfter = Number(v); i++; }
  else { console.error(`outbox.mjs: unknown argument ${a}`); process.exit(2); }
}

// A string body (the signed inbound SMS) goes as is, anything else as JSON;
// a fresh connection per request (agent false): the daemon is killed mid-run.
const request = (port, method, p, { body, headers } = {}) => httpRequest({ port, agent: false, parse: 'any' }, method, p,
  typeof body === 'string' ? { raw: body, headers } : { body, headers });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-outbox-crash-'));
// run a private copy: a rebuild relinking the binary mid-test (make in a
// shared tree) must not turn a restart into ENOENT/EACCES
{
  const copy = path.join(dir, 'parkline');
  fs.copyFileSync(opt.bin, copy);
  fs.chmodSync(copy, 0o755);
  opt.bin = copy;
}
const db = opt.pg || path.join(dir, 'outbox.db');

// ---------------------------------------------------------------- fake
async function startFake() {
  const child = spawn('node', ['tests/fakes/notify-fake.mjs', '--port', '0', '--delay-ms', '100'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', () => reject(new Error('the fake provider exited')));
  });
  const port = Number(/listening on (\d+)/.exec(line)[1]);
  return { child, port };
}

// -------------------------------------------------------------- daemon
function daemonEnv(fakePort, enabled) {
  const conf = path.join(dir, 'notify.conf');
  fs.writeFileSync(conf, [
    'notify_sms_provider = aliyun',
    `notify_aliyun_url = http://127.0.0.1:${fakePort}/aliyun/`,
    'notify_aliyun_access_key_id = testId',
    'notify_aliyun_access_key_secret = testSecret',
    'notify_aliyun_sign_name = 园区服务',
    `notify_wechat_api = http://127.0.0.1:${fakePort}/wechat`,
    'notify_wechat_app_id = wxtestappid',
    'notify_wechat_app_secret = wechatTestSecret',
    'notify_wechat_template_id = TPL1',
    `notify_webhook_url = http://127.0.0.1:${fakePort}/webhook`,
    'notify_webhook_secret = webhookTestSecret',
    'notify_timeout_ms = 1000',
    'notify_lease_ms = 2000',
    'notify_poll_ms = 50',
    'notify_batch = 5',
    'notify_backoff_base_ms = 200',
    'notify_backoff_max_ms = 1000',
    'notify_inbound_sms_secret = inboundTestSecret',
    '',
  ].join('\n'));
  return { ...process.env, PARKLINE_NOTIFY_ENABLED: enabled ? 'true' : 'false', PARKLINE_NOTIFY_CONFIG: conf };
}

async function startDaemon(name, env) {
  const port = await freePort();
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(opt.bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--db', db],
    { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (e) => resolve({ error: String(e) })); // e.g. the binary is being relinked
  });
  let gone = null;
  exited.then((e) => { gone = e; });
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${name} exited during start-up: ${JSON.stringify(gone)}`);
    try { if ((await request(port, 'GET', '/readyz')).status === 200) return { child, port, exited }; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} not ready`);
}

async function stopDaemon(d) {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill('SIGTERM');
  await d.exited;
}

async function login(d, user) {
  const r = await request(d.port, 'POST', '/api/v1/auth/login', { body: { username: user, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${user}: ${r.status}`);
  const cookie = r.headers['set-cookie'].map((c) => c.split(';')[0]).find((c) => c.startsWith('pl_session='));
  return { Cookie: cookie, 'X-CSRF-Token': r.body.csrf_token };
}

function sql(statement) {
  const r = opt.pg
    ? spawnSync('psql', [opt.pg, '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement], { encoding: 'utf8' })
    : spawnSync('sqlite3', [db, statement], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sql failed: ${r.stderr}`);
}

async function main() {
  const fake = await startFake();
  let d = null;
  try {
    // 1. the park, and the specialist's addresses
    d = await startDaemon('seed', daemonEnv(fake.port, false));
    await stopDaemon(d);
    sql("INSERT INTO notify_contacts (user_id, phone, wechat_openid, updated_at) " +
        "SELECT id, '+8613800138000', 'o-specialist1', '2026-01-01T00:00:00.000Z' FROM users " +
        "WHERE username = 'specialist1'");
    sql("UPDATE enterprises SET contact_phone = '13700137000' WHERE id = " +
        "(SELECT enterprise_id FROM users WHERE username = 'ent1')");

    // 2. the sender on; requests raised; the fake kills the daemon mid-send
    d = await startDaemon('run1', daemonEnv(fake.port, true));
    await request(fake.port, 'POST', '/_config', { body: { kill_pid: d.child.pid, kill_after: opt.killAfter } });
    const auth = await login(d, 'ent1');
    const acked = [];
    for (let i = 0; i < opt.requests; i++) {
      try {
        const r = await request(d.port, 'POST', '/api/v1/desk/requests', { headers: auth,
          body: { channel: 'web', category: 'consult', urgency: 'normal', title: `通知崩溃测试 ${i}`, description: 'outbox crash test' } });
        if (r.status === 201 || r.status === 200) acked.push(r.body.id);
        else throw new Error(`HTTP ${r.status}`);
      } catch { break; } // the daemon is gone
    }
    const end1 = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r(null), DEADLINE_MS))]);
    check(end1 && end1.signal === 'SIGKILL', 'the daemon was kill -9ed by the fake provider mid-send',
      JSON.stringify(end1));
    check(acked.length > 0, `requests acknowledged before the crash: ${acked.length}`);

    // 3. restart; the outbox drains
    d = await startDaemon('run2', daemonEnv(fake.port, true));
    const admin = await login(d, 'admin');
    let rows = [];
    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline) {
      const r = await request(d.port, 'GET', '/api/v1/desk/notifications?limit=500', { headers: admin });
      rows = r.body.items || [];
      if (rows.length && rows.every((x) => !['pending', 'sending'].includes(x.state))) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const stats = (await request(fake.port, 'GET', '/_stats')).body;

    // 4. the checks
    const byReq = new Map();
    for (const x of rows) byReq.set(x.request_id, (byReq.get(x.request_id) || 0) + 1);
    check(acked.every((id) => byReq.get(id) === 3),
      'every acknowledged request queued its 3 notifications (sms, wechat, webhook)',
      acked.filter((id) => byReq.get(id) !== 3).join(','));
    const notSent = rows.filter((x) => x.state !== 'sent');
    check(notSent.length === 0, `all ${rows.length} outbox rows sent after the restart`,
      JSON.stringify(notSent.slice(0, 3)));
    const keys = new Set(rows.map((x) => x.dedupe_key));
    const delivered = Object.keys(stats.delivered);
    check(delivered.length === keys.size && delivered.every((k) => keys.has(k)),
      `the provider delivered exactly the ${keys.size} outbox messages, each once`,
      `delivered ${delivered.length}, outbox ${keys.size}`);
    const resent = Object.entries(stats.attempts).filter(([, n]) => n > 1);
    check(resent.length >= 1, `the message in flight at the crash was resent and dropped as a duplicate (${resent.length} resent)`);
    check(stats.rejected === 0, 'every signature verified', `rejected ${stats.rejected}`);
    const channels = new Set(rows.map((x) => x.channel));
    check(['sms', 'wechat', 'webhook'].every((c) => channels.has(c)), 'SMS, WeChat and webhook all exercised');

    // 5. the inbound SMS webhook over HTTP: signed, deduplicated, forged refused
    const sign = (b) => 'sha256=' + crypto.createHmac('sha256', 'inboundTestSecret').update(b).digest('hex');
    const msg = JSON.stringify({ message_id: 'crash-m1', from: '+86 137-0013-7000', text: '园区东门积水，请处理' });
    const inbound = (b, sig) => request(d.port, 'POST', '/api/v1/desk/inbound/sms/generic',
      { body: b, headers: sig ? { 'X-Parkline-Signature': sig } : {} });
    const forged = await inbound(msg, sign(msg + ' '));
    check(forged.status === 401 && String(forged.headers['content-type']).startsWith('application/problem+json'),
      'inbound SMS with a forged signature: 401 problem+json', `${forged.status}`);
    const first = await inbound(msg, sign(msg));
    check(first.status === 200 && first.body.result === 'created' && first.body.request_id,
      'inbound SMS from the enterprise contact opens a request', JSON.stringify(first.body));
    const again = await inbound(msg, sign(msg));
    check(again.status === 200 && again.body.result === 'duplicate' && again.body.request_id === first.body.request_id,
      'the same message again is a duplicate of the same request', JSON.stringify(again.body));
    const req = await request(d.port, 'GET', `/api/v1/desk/requests/${first.body.request_id}`, { headers: admin });
    check(req.status === 200 && req.body.channel === 'sms' && req.body.state === 'dispatched',
      'the SMS request is on the SMS channel and dispatched to the specialist', JSON.stringify(req.body).slice(0, 200));
  } catch (e) {
    check(false, 'outbox crash test ran', e.stack || String(e));
  } finally {
    if (d) await stopDaemon(d).catch(() => {});
    fake.child.kill('SIGTERM');
  }
  // a sanitizer build (BIN=build/asan/parkline) reports into the logs
  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  check(!/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(logs), 'no sanitizer report in the daemon logs',
    (/.*(ERROR: (Address|Leak)Sanitizer|runtime error:).*/.exec(logs) || [''])[0]);
  console.log(`RESULT ${results.pass} ${results.fail}`);
  if (results.fail === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`(kept ${dir})`);
  process.exit(results.fail === 0 ? 0 : 1);
}

main();
