// harness.mjs - what the end-to-end line tests (ingest.mjs, live.mjs,
// broker.mjs) share, so each test file holds only its own checks: the
// pass/fail tally, a hand-written Sparkplug B protobuf encoder (the tests do
// not reuse the encoder they test), spawning mosquitto / the daemon with
// captured output, polling waits (never blind sleeps), login and JSON HTTP
// against the daemon, and an SSE reader of /api/v1/live.
//
// State lives in one exported object `t` (tally, spawned processes, the
// daemon's base URL) so that each test process owns exactly one; a test
// sets t.base once its daemon listens and kills t.procs at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.resolve(process.argv[2] || process.env.BIN || path.join(root, 'build/parkline'));
export const PASSWORD = 'parkline-demo';
export const t = { passed: 0, failed: 0, procs: [], base: undefined };

export function check(ok, what) {
  if (ok) { t.passed++; console.log(`   ok ${what}`); } else { t.failed++; console.log(`FAIL ${what}`); }
}

// ----------------------------------------------------- protobuf encoding
export function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
export const key = (field, wire) => varint((field << 3) | wire);
export const fVarint = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
export const fBytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
export function fDouble(field, d) {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return Buffer.concat([key(field, 1), b]);
}
// Sparkplug datatypes used here
export const DT = { Int32: 3, Int64: 4, Double: 10, Boolean: 11, String: 12 };
// metric: {name, alias, ts, dt, value}
export function metric(m) {
  const parts = [];
  if (m.name !== undefined) parts.push(fBytes(1, Buffer.from(m.name)));
  if (m.alias !== undefined) parts.push(fVarint(2, m.alias));
  if (m.ts !== undefined) parts.push(fVarint(3, m.ts));
  if (m.dt !== undefined) parts.push(fVarint(4, m.dt));
  switch (m.dt) {
    case DT.Int32: parts.push(fVarint(10, m.value < 0 ? 2 ** 32 + m.value : m.value)); break; // trap: sign
    case DT.Int64: parts.push(fVarint(11, BigInt.asUintN(64, BigInt(m.value)))); break;
    case DT.Double: parts.push(fDouble(13, m.value)); break;
    case DT.Boolean: parts.push(fVarint(14, m.value ? 1 : 0)); break;
    case DT.String: parts.push(fBytes(15, Buffer.from(m.value))); break;
    default: break;
  }
  return Buffer.concat(parts);
}
export function payload({ ts, seq, metrics }) {
  const parts = [fVarint(1, ts)];
  for (const m of metrics) parts.push(fBytes(2, metric(m)));
  if (seq !== undefined) parts.push(fVarint(3, seq));
  return Buffer.concat(parts);
}

// ----------------------------------------------------------- processes
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}
export function start(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  p.out = '';
  p.err = '';
  p.stdout.setEncoding('utf8');
  p.stderr.setEncoding('utf8');
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.err += d; });
  p.exited = new Promise((res) => p.on('exit', (code, sig) => res(code ?? sig)));
  t.procs.push(p);
  return p;
}
// Resolves when pred() holds, polling an observable condition (never a
// blind sleep); rejects after ms.
export async function until(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
export function connectable(port) {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}
export async function pub(port, topic, buf) {
  const p = start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-s']);
  p.stdin.end(buf);
  const code = await p.exited;
  if (code !== 0) throw new Error(`mosquitto_pub ${topic} exited ${code}: ${p.err}`);
}

// ---------------------------------------------------------------- HTTP
export async function login(username) {
  const r = await fetch(`${t.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  return r.headers.get('set-cookie').split(';')[0];
}
export async function get(cookie, p) {
  const r = await fetch(`${t.base}${p}`, { headers: { Cookie: cookie } });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* problem or empty */ }
  return { status: r.status, json, text };
}

export async function send(cookie, method, p, body, headers = {}) {
  const h = { ...headers };
  if (cookie) h.Cookie = cookie;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(`${t.base}${p}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* empty */ }
  return { status: r.status, json, text };
}
export async function csrfOf(cookie) {
  const me = await get(cookie, '/api/v1/me');
  return me.json?.csrf_token || '';
}
// An SSE reader: collects {event, data, at} of /api/v1/live as the caller;
// s.ended is when the stream ended. opts: base (default t.base), raw (keep
// data as its text instead of parsed JSON), now (the clock of at and ended,
// default Date.now; the scale test uses performance.now).
export function sse(cookie, { base = t.base, raw = false, now = () => Date.now() } = {}) {
  const ac = new AbortController();
  const s = { events: [], close: () => ac.abort() };
  s.ready = (async () => {
    const r = await fetch(`${base}/api/v1/live`, { headers: { Cookie: cookie, Accept: 'text/event-stream' }, signal: ac.signal });
    const rd = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    (async () => {
      try {
        for (;;) {
          const { value, done } = await rd.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!ev) continue;
            let j = raw ? data : null;
            if (!raw) try { j = JSON.parse(data); } catch { /* keep null */ }
            s.events.push({ event: ev, data: j, at: now() });
          }
        }
      } catch { /* aborted or the process died */ }
      s.ended = now();
    })();
  })();
  return s;
}

// The daemon's environment for these tests: the cheap password hash, the
// repository's working calendar, and no config file from the caller.
export function daemonEnv() {
  const env = { ...process.env, PARKLINE_HASH_COST: 'interactive',
    PARKLINE_CALENDAR_DIR: path.join(root, 'data/calendar') };
  delete env.PARKLINE_CONFIG;
  return env;
}

// A private anonymous mosquitto on a free loopback port, configured in tmp;
// resolves {port, proc} once it accepts connections. `user root`: mosquitto
// run as root otherwise drops to user mosquitto, which may not exist;
// harmless when we are not root.
export async function startMosquitto(tmp) {
  const port = await freePort();
  fs.writeFileSync(path.join(tmp, 'mosquitto.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n`);
  const proc = start('mosquitto', ['-c', path.join(tmp, 'mosquitto.conf')]);
  await until(() => connectable(port), 10000, 'mosquitto to listen');
  return { port, proc };
}

// `parkline serve --demo --mqtt` on a free port (the database: PL_LINE_DB,
// else tmp/dbName); resolves the process once it listens, with t.base set.
export async function startDemo(tmp, dbName, threads, mport) {
  const d = start(BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--db', process.env.PL_LINE_DB || path.join(tmp, dbName),
    '--openapi', path.join(root, 'docs/api/openapi.yaml'), '--threads', String(threads), '--log-level', 'info',
    '--mqtt', `mqtt://127.0.0.1:${mport}`], { cwd: tmp, env: daemonEnv() });
  const hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'the daemon to listen');
  t.base = `http://127.0.0.1:${hport}`;
  return d;
}
