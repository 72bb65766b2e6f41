#!/usr/bin/env bash
# 66-scale.sh - scale-out end to end (issue 7 item 7, docs/scaling.md):
# a throw-away PostgreSQL (scripts/pg.sh), a real mosquitto, three
# `parkline serve --mqtt` processes on one database (the first with
# --demo) and `parkline simulate line` publishing Sparkplug B. Checks:
#   - exactly one process ingests (parkline_ingest_leader on /metrics;
#     only the leader has ingest counters);
#   - a session made on one process works on the others (sessions live in
#     the database);
#   - an SSE client on every process receives the same line tiles, each
#     exactly once (the LISTEN/NOTIFY relay, src/http/relay.c);
#   - kill -9 of the leader: another process leads within a few seconds,
#     asks for a rebirth, and tiles keep reaching the remaining streams;
#   - the leader's lock session terminated inside PostgreSQL: it stops
#     ingesting and exactly one process leads again;
#   - a write on one process is readable on another.
# Prints (does not assert) tiles/s per stream and the cross-process relay
# latency (receipt at a standby's stream minus receipt at the leader's).
# Tally: "<passed> <failed> scale". BIN=build/asan/parkline runs it on the
# sanitizer build.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
for tool in node mosquitto; do
  if ! command -v "$tool" >/dev/null; then
    echo "   $tool is not installed (scripts/deps.sh installs it)"
    echo "0 1 scale" >>"$PL_TALLY"
    exit 1
  fi
done
tmp=$(mktemp -d /tmp/parkline-scale.XXXXXX)
pgdir=$(mktemp -d /tmp/parkline-scale-pg.XXXXXX)
rc=0
if ! url=$(scripts/pg.sh start "$pgdir"); then
  echo "0 1 scale" >>"$PL_TALLY"
  scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp"
  exit 1
fi
# The test itself: a node script kept here so the step is one file.
cat >"$tmp/scale.mjs" <<'JS'
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [BIN, PGURL, TMP, ROOT] = process.argv.slice(2);
// free ports, polling waits and the SSE reader of the line tests
const H = await import(pathToFileURL(path.join(ROOT, 'tests/line/harness.mjs')).href);
const { freePort, until, connectable } = H;
// SSE per process, data kept as text (tiles are compared byte for byte)
const sse = (base, cookie) => H.sse(cookie, { base, raw: true, now: () => performance.now() });
const PASSWORD = 'parkline-demo';
let passed = 0, failed = 0;
const procs = [];
const check = (ok, what) => {
  if (ok) { passed++; console.log(`ok ${what}`); } else { failed++; console.log(`FAIL ${what}`); }
};
function start(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  p.out = ''; p.err = '';
  p.stdout.setEncoding('utf8'); p.stderr.setEncoding('utf8');
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.err += d; });
  // a spawn that fails (binary being relinked: EACCES) is a failed check,
  // not an uncaught error that would leave the other processes running
  p.exited = new Promise((res) => {
    p.on('exit', (code, sig) => res(code ?? sig));
    p.on('error', (e) => { p.err += `spawn failed: ${e.message}\n`; res('spawn-error'); });
  });
  procs.push(p);
  return p;
}
async function http(base, cookie, method, p, body, csrf) {
  const h = {};
  if (cookie) h.Cookie = cookie;
  if (csrf) h['X-CSRF-Token'] = csrf;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(`${base}${p}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* text or empty */ }
  return { status: r.status, json, text, headers: r.headers };
}
function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text || '');
  return m ? Number(m[1]) : null;
}
const tiles = (s, from = 0) => s.events.filter((e) => e.event === 'line' && e.at >= from);
function counts(list) {
  const m = new Map();
  for (const e of list) m.set(e.data, (m.get(e.data) || 0) + 1);
  return m;
}
// Receipt-time differences of the same tiles: the k-th copy of a data text
// on a stream pairs with the k-th copy on the reference stream (a tile's
// text can repeat when nothing changed between flushes).
function lags(ref, others, from) {
  const at = new Map();
  for (const e of tiles(ref, from)) { if (!at.has(e.data)) at.set(e.data, []); at.get(e.data).push(e.at); }
  const out = [];
  for (const s of others) {
    const seen = new Map();
    for (const e of tiles(s, from - 1000)) {
      const k = seen.get(e.data) || 0;
      seen.set(e.data, k + 1);
      const t = at.get(e.data)?.[k];
      if (t !== undefined) out.push(e.at - t);
    }
  }
  return out.sort((x, y) => x - y);
}
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : NaN);

async function main() {
  const mport = await freePort();
  fs.writeFileSync(path.join(TMP, 'mosquitto.conf'),
    `listener ${mport} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n`);
  start('mosquitto', ['-c', path.join(TMP, 'mosquitto.conf')]);
  await until(() => connectable(mport), 10000, 'mosquitto to listen');
  const env = { ...process.env, PARKLINE_HASH_COST: 'interactive',
    PARKLINE_CALENDAR_DIR: path.join(ROOT, 'data/calendar') };
  delete env.PARKLINE_CONFIG;
  const serve = (name, demo) => {
    const dir = path.join(TMP, name);
    fs.mkdirSync(dir, { recursive: true });
    const p = start(BIN, ['serve', ...(demo ? ['--demo'] : []), '--listen', '127.0.0.1:0', '--db', PGURL,
      '--openapi', path.join(ROOT, 'docs/api/openapi.yaml'), '--threads', '4', '--log-level', 'info',
      '--mqtt', `mqtt://127.0.0.1:${mport}`], { cwd: dir, env });
    p.name = name;
    return p;
  };
  const nodes = [];
  for (const [name, demo] of [['p1', true], ['p2', false], ['p3', false]]) {
    const p = serve(name, demo); // the first seeds the demo park, then the others join
    const port = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(p.out)?.[1], 60000, `${name} to listen`);
    p.base = `http://127.0.0.1:${port}`;
    nodes.push(p);
  }

  // sessions live in the database: log in on p1, use the cookie everywhere
  const lr = await http(nodes[0].base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORD });
  const admin = lr.headers.get('set-cookie')?.split(';')[0];
  const me = await Promise.all(nodes.map((n) => http(n.base, admin, 'GET', '/api/v1/me')));
  check(lr.status === 200 && me.every((r) => r.status === 200 && r.json?.user?.username === 'admin'),
    `a session made on p1 works on p1, p2 and p3 (${me.map((r) => r.status)})`);
  const csrf = me[1].json?.csrf_token;

  // exactly one leader
  const leaders = async () => {
    const ms = await Promise.all(nodes.filter((n) => !n.dead).map(async (n) => ({ n, t: (await http(n.base, admin, 'GET', '/metrics')).text })));
    return ms;
  };
  const ms0 = await until(async () => {
    const ms = await leaders();
    return ms.filter((m) => metric(m.t, 'parkline_ingest_leader') === 1).length === 1 ? ms : null;
  }, 15000, 'one leader');
  const leader = ms0.find((m) => metric(m.t, 'parkline_ingest_leader') === 1).n;
  check(ms0.filter((m) => metric(m.t, 'parkline_ingest_leader') === 0).length === 2,
    `exactly one of 3 processes leads the ingest (${leader.name}); the other two stand by`);

  // an SSE stream on every process, then the simulator
  const streams = nodes.map((n) => sse(n.base, admin));
  await Promise.all(streams.map((s) => s.ready));
  await until(() => streams.every((s) => s.events.some((e) => e.event === 'hello')), 5000, 'SSE hello on all');
  const sim = start(BIN, ['simulate', 'line', '--mqtt', `mqtt://127.0.0.1:${mport}`, '--lines', '2', '--rate', '20']);
  const t0 = performance.now();
  const li = nodes.indexOf(leader);
  await until(() => streams.every((s) => tiles(s).length >= 40), 30000, '40 tiles on every stream');
  const tWin = performance.now();
  // a settled window: tiles the leader's stream got up to tWin - 500 ms
  // must have reached every other stream exactly once
  const ref = counts(tiles(streams[li]).filter((e) => e.at < tWin - 500));
  let same = true;
  for (const [k, s] of streams.entries()) {
    if (k === li) continue;
    const c = counts(tiles(s));
    for (const [d, n] of ref) if (c.get(d) !== n) same = false;
  }
  check(ref.size >= 20 && same, `each stream got the leader's ${ref.size} tiles, each exactly once`);
  const dups = streams.map((s) => [...counts(tiles(s)).values()].filter((n) => n > 1).length);
  check(dups.every((n) => n === 0), `no tile delivered twice to one stream (${dups})`);

  // only the leader ingests
  const ms1 = await leaders();
  const ing = ms1.map((m) => metric(m.t, 'parkline_line_ingest_messages_total'));
  check(ing[li] > 0 && ing.every((v, k) => k === li || v === null),
    `only the leader has ingest counters (messages: ${ing.map((v) => v ?? '-')})`);

  // measurements (printed, not asserted)
  const secs = (tWin - t0) / 1000;
  const lat = lags(streams[li], streams.filter((_, k) => k !== li), 0);
  console.log(`MEASURE tiles/s per stream over ${secs.toFixed(1)} s: ${streams.map((s, k) => `${nodes[k].name}=${(tiles(s).length / secs).toFixed(1)}`).join(' ')}`);
  console.log(`MEASURE relay latency (standby stream minus leader stream, ${lat.length} tiles): p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(2)} ms`);

  // a write on one process, read on another
  const uname = `scale_${process.pid}`;
  const cu = await http(nodes[(li + 1) % 3].base, admin, 'POST', '/api/v1/users',
    { username: uname, password: 'scale-test-pass-1', display_name: 'Scale test', role: 'auditor' }, csrf);
  const rd = await http(nodes[(li + 2) % 3].base, admin, 'GET', '/api/v1/users?limit=500');
  const found = JSON.stringify(rd.json || {}).includes(uname);
  check(cu.status === 201 && found, `a user created on ${nodes[(li + 1) % 3].name} (${cu.status}) is listed by ${nodes[(li + 2) % 3].name}`);

  // a burst of HTTP ingest on a standby: its tiles are published there and
  // relayed to the leader's and the third process's streams
  const pi = (li + 1) % 3, pubn = nodes[pi];
  const fill = (await http(pubn.base, admin, 'GET', '/api/v1/lines')).json?.items?.find((l) => l.sp_node === 'fill-1');
  // the first point creates the series; the burst then only appends
  const first = await http(pubn.base, admin, 'POST', `/api/v1/lines/${fill.id}/ingest`,
    { points: [{ metric: 'scale/probe', t: Date.now(), value: -1 }] }, csrf);
  check(first.status === 200, `HTTP ingest on standby ${pubn.name} accepted (${first.status})`);
  const N = 200;
  let next = 0, okPosts = 0;
  const tb = performance.now();
  // two at a time: with --threads 4 a stream shares MHD's worker threads
  // with the posts, and a stream 64 events behind is ended (sse.c NOTES 2)
  await Promise.all(Array.from({ length: 2 }, async () => {
    while (next < N) {
      const k = next++;
      const r = await http(pubn.base, admin, 'POST', `/api/v1/lines/${fill.id}/ingest`,
        { points: [{ metric: 'scale/probe', t: Date.now(), value: k }] }, csrf);
      if (r.status === 200) okPosts++; else console.log(`burst POST ${k}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  }));
  const tb2 = performance.now();
  const burst = counts(tiles(streams[pi], tb).filter((e) => e.at <= tb2));
  const others = streams.filter((_, k) => k !== pi);
  // each burst tile's text as many times on the others as on the
  // publishing stream, counted over the same window on all three (a text
  // also seen just before the burst counts on every stream alike)
  const covered = () => {
    const ref = counts(tiles(streams[pi], tb - 1000));
    return others.every((s) => { const c = counts(tiles(s, tb - 1000)); return [...burst.keys()].every((d) => c.get(d) === ref.get(d)); });
  };
  await until(covered, 10000, 'the burst on the other streams').catch(() => null);
  check(okPosts === N && burst.size > 0 && covered(),
    `${N} HTTP ingests on ${pubn.name} (${okPosts} ok): its ${[...burst.values()].reduce((a, b) => a + b, 0)} tiles reached the other two streams once each`);
  const blat = lags(streams[pi], others, tb);
  const nb = [...burst.values()].reduce((x, y) => x + y, 0);
  console.log(`streams ended: ${streams.map((x) => x.ended ? (x.ended - tb).toFixed(0) : '-')}`);
  console.log(`MEASURE burst: ${(nb / ((tb2 - tb) / 1000)).toFixed(0)} tiles/s published on ${pubn.name} and relayed; relay latency p50 ${pct(blat, 0.5).toFixed(2)} ms, p99 ${pct(blat, 0.99).toFixed(2)} ms (${blat.length} deliveries)`);

  // failover
  const tKill = performance.now();
  leader.kill('SIGKILL');
  leader.dead = true;
  await leader.exited;
  const rest = nodes.filter((n) => !n.dead);
  const ms2 = await until(async () => {
    const ms = await leaders();
    return ms.filter((m) => metric(m.t, 'parkline_ingest_leader') === 1).length === 1 ? ms : null;
  }, 15000, 'a new leader');
  const tLead = performance.now();
  const nl = ms2.find((m) => metric(m.t, 'parkline_ingest_leader') === 1).n;
  check(nl !== leader && ms2.filter((m) => metric(m.t, 'parkline_ingest_leader') === 0).length === 1,
    `after kill -9 of ${leader.name}, ${nl.name} leads within ${((tLead - tKill) / 1000).toFixed(1)} s; the other stands by`);
  const rs = rest.map((n) => streams[nodes.indexOf(n)]);
  await until(() => rs.every((s) => tiles(s, tLead).length >= 20), 30000, 'tiles after the failover');
  const tFirst = Math.min(...rs.map((s) => tiles(s, tLead)[0]?.at ?? Infinity));
  check(rs.every((s) => tiles(s, tLead).length >= 20) && tFirst < Infinity, `tiles flow again to both remaining streams (the first ${((tFirst - tKill) / 1000).toFixed(1)} s after the kill)`);
  const nlm = (await http(nl.base, admin, 'GET', '/metrics')).text;
  check(metric(nlm, 'parkline_line_ingest_rebirths_total') > 0,
    `the new leader asked for a rebirth (rebirths: ${metric(nlm, 'parkline_line_ingest_rebirths_total')})`);
  const tEnd = performance.now();
  const r0 = counts(tiles(rs[0], tLead).filter((e) => e.at < tEnd - 500));
  const c1 = counts(tiles(rs[1], tLead - 1000));
  check(r0.size >= 10 && [...r0].every(([d, n]) => c1.get(d) === n),
    `after the failover both remaining streams get the same ${r0.size} tiles`);
  console.log(`MEASURE failover: new leader after ${((tLead - tKill) / 1000).toFixed(2)} s, first tile after ${((tFirst - tKill) / 1000).toFixed(2)} s`);

  // the leader's lock session ends under it (pg_terminate_backend, as a
  // failover of PostgreSQL would): it must stop ingesting, and one process
  // (itself or the other) must lead again
  const changes = async () => (await leaders()).reduce((a, m) => a + (metric(m.t, 'parkline_ingest_leader_changes_total') || 0), 0);
  const ch0 = await changes();
  const term = spawnSync('psql', [PGURL, '-Atc',
    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1886088302 AND objid = 1600745063 AND granted"],
    { encoding: 'utf8' });
  const ms3 = await until(async () => {
    const ms = await leaders();
    const c = ms.reduce((a, m) => a + (metric(m.t, 'parkline_ingest_leader_changes_total') || 0), 0);
    return c === ch0 + 1 && ms.filter((m) => metric(m.t, 'parkline_ingest_leader') === 1).length === 1 ? ms : null;
  }, 15000, 'a new election after the lock session ended').catch(() => null);
  check(term.stdout.trim() === '1' && ms3 !== null,
    `the lock session killed in PostgreSQL (${term.stdout.trim() || term.stderr.trim()}): ingest stopped and exactly one process leads again (${ms3?.find((m) => metric(m.t, 'parkline_ingest_leader') === 1)?.n.name})`);

  for (const s of streams) s.close();
  sim.kill('SIGTERM');
  await sim.exited;
  for (const n of rest) n.kill('SIGTERM');
  const codes = await Promise.all(rest.map((n) => n.exited));
  check(codes.every((c) => c === 0), `the remaining processes stop cleanly on SIGTERM (${codes})`);
}

// a harness that stops us must not leave daemons behind
process.on('uncaughtException', (e) => {
  console.log(`FAIL uncaught: ${e.message}`);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  console.log(`RESULT ${passed} ${failed + 1}`);
  process.exit(1);
});
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    process.exit(1);
  });
}
main().catch((e) => { failed++; console.log(`FAIL ${e.message}`); })
  .finally(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (failed) for (const p of procs) if (p.err) console.log(`--- stderr of ${p.spawnargs.slice(0, 2).join(' ')}:\n${p.err.slice(-1500)}`);
    console.log(`RESULT ${passed} ${failed}`);
    process.exitCode = failed ? 1 : 0;
  });
JS
out=$(timeout 240 node "$tmp/scale.mjs" "$PWD/$bin" "$url" "$tmp" "$PWD" 2>&1); status=$?
printf '%s\n' "$out" | sed 's/^/   /'
read -r p f < <(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' | tail -1)
if [ -z "${p:-}" ]; then p=0; f=1; fi
if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
echo "$p $f scale" >>"$PL_TALLY"
[ "$f" = 0 ] || rc=1
scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
rm -rf "$tmp"
exit $rc
