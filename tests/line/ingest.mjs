// ingest.mjs - end-to-end test of the Sparkplug B ingest (issue 6 slice):
// a real mosquitto on a free loopback port (own config in a temp dir), the
// real daemon (`parkline serve --demo --mqtt ...`) on a temp SQLite file,
// payloads published with mosquitto_pub and commands watched with
// mosquitto_sub (Debian package mosquitto-clients), values read back over
// the HTTP API. Each check is tagged with the Sparkplug rule it exercises.
//
// The Sparkplug payloads are encoded here by hand (protobuf wire format,
// src/mqtt/sparkplug_b.proto field numbers), so the test does not reuse
// the encoder it is testing.
//
// usage: node tests/line/ingest.mjs [path/to/parkline]
// PL_LINE_DB=postgresql://... runs the daemon on that (empty) database
// instead of a temp SQLite file.
// Prints "ok ..." / "FAIL ..." per check and "line: N passed, M failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  t, check, DT, payload, start, until, pub, login, get, startMosquitto, startDemo,
} from './harness.mjs';

// The rollup buckets of raw [t, v] points (sorted), as the series route
// serves them with step: {t, n, min, max, avg, first, last} per bucket.
function rollupsOf(points, w) {
  const out = [];
  for (const [t, v] of points) {
    const b = Math.floor(t / w) * w;
    let r = out[out.length - 1];
    if (!r || r.t !== b) {
      r = { t: b, n: 0, min: v, max: v, sum: 0, first: v, last: v };
      out.push(r);
    }
    r.n++;
    r.sum += v;
    r.min = Math.min(r.min, v);
    r.max = Math.max(r.max, v);
    r.last = v;
  }
  return out.map(({ t: bt, n, min, max, sum, first, last }) => ({ t: bt, n, min, max, avg: sum / n, first, last }));
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-line-'));
  try {
    const { port: mport, proc: broker } = await startMosquitto(tmp);
    const d = await startDemo(tmp, 'line.db', 2, mport);

    // [tck-id-host-topic-phid-birth-*] the host publishes STATE online, retained
    const state = start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mport), '-t', 'spBv1.0/STATE/parkline', '-C', '1', '-W', '10']);
    await state.exited;
    let st = null;
    try { st = JSON.parse(state.out); } catch { /* checked below */ }
    check(st && st.online === true && Number.isInteger(st.timestamp), `STATE birth retained: ${state.out.trim()}`);

    // the NCMD watcher: -d prints SUBACK once subscribed, then each topic
    const ncmd = start('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(mport), '-t', 'spBv1.0/taiji/NCMD/#', '-F', 'TOPIC %t PAYLOAD %x']);
    await until(() => ncmd.out.includes('SUBACK'), 10000, 'mosquitto_sub to subscribe');

    const admin = await login('admin');
    const ent1 = await login('ent1');
    const ent2 = await login('ent2');
    const lines1 = await get(ent1, '/api/v1/lines');
    const lines2 = await get(ent2, '/api/v1/lines');
    const fill = lines1.json?.items?.find((l) => l.sp_node === 'fill-1');
    check(lines1.status === 200 && lines1.json.items.length === 2 && fill, 'enterprise 1 sees its 2 demo lines');
    check(lines2.status === 200 && lines2.json.items.length === 0, 'enterprise 2 sees no lines (tenancy)');
    const adminLines = await get(admin, '/api/v1/lines');
    check(adminLines.status === 200 && adminLines.json.items.length >= 2, 'park admin sees every line');

    const t0 = Date.now() - 10000;
    const T = 'spBv1.0/taiji';
    await pub(mport, `${T}/NBIRTH/fill-1`, payload({ ts: t0, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0, dt: DT.Int64, value: 0 },
      { name: 'Node Control/Rebirth', ts: t0, dt: DT.Boolean, value: false },
      { name: 'speed', alias: 1, ts: t0, dt: DT.Double, value: 120.5 },
      { name: 'count', alias: 2, ts: t0, dt: DT.Int64, value: 40 },
      { name: 'temp_offset', alias: 3, ts: t0, dt: DT.Int32, value: -5 },
      { name: 'batch', alias: 4, ts: t0, dt: DT.String, value: 'B-1' },
    ] }));
    // [tck-id-topics-ndata-*] data by alias only
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 1000, seq: 1, metrics: [
      { alias: 1, ts: t0 + 1000, dt: DT.Double, value: 121.25 },
      { alias: 2, ts: t0 + 1000, dt: DT.Int64, value: 42 },
    ] }));
    const mpath = `/api/v1/lines/${fill.id}/metrics`;
    const m = await until(async () => {
      const r = await get(ent1, mpath);
      const sp = r.json?.items?.find((i) => i.metric === 'speed');
      return sp && sp.value === 121.25 ? r : null;
    }, 10000, 'NDATA values to be committed');
    const by = Object.fromEntries(m.json.items.map((i) => [i.metric, i]));
    check(by.count?.value === 42 && by.count.t === new Date(t0 + 1000).toISOString(), `count = 42 at NDATA time (${JSON.stringify(by.count)})`);
    check(by.temp_offset?.value === -5, `Int32 -5 sent as 4294967291 decodes to -5 (${by.temp_offset?.value})`);
    check(!by.batch && !by['Node Control/Rebirth'] && !by.bdSeq, 'strings and session control metrics are not series');
    check(m.json.items.every((i) => i.stale === false), 'values are not stale after NBIRTH');

    const s = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 1}`);
    check(s.status === 200 && JSON.stringify(s.json.points) === JSON.stringify([[t0, 120.5], [t0 + 1000, 121.25]]),
      `series speed decodes both points from the stored block (${JSON.stringify(s.json?.points)})`);
    const sEmpty = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 + 1001}&to=${t0 + 5000}`);
    check(sEmpty.status === 200 && sEmpty.json.points.length === 0, 'a range without points is empty');
    const sBad = [
      [`/api/v1/lines/${fill.id}/series`, 400, 'metric missing'],
      [`/api/v1/lines/${fill.id}/series?metric=speed&from=yesterday`, 400, 'bad from'],
      [`/api/v1/lines/${fill.id}/series?metric=speed&from=10&to=5`, 400, 'from after to'],
      [`/api/v1/lines/${fill.id}/series?metric=nope`, 404, 'unknown metric'],
      [`/api/v1/lines/${fill.id}/series?metric=speed&bogus=1`, 400, 'unknown parameter'],
    ];
    for (const [p, want, what] of sBad) {
      const r = await get(ent1, p);
      check(r.status === want, `${what}: ${r.status}, want ${want}`);
    }
    const hidden = await get(ent2, mpath);
    const missing = await get(ent2, '/api/v1/lines/01J99999999999999999999999/metrics');
    check(hidden.status === 404 && missing.status === 404 && hidden.json?.type === missing.json?.type,
      "another enterprise's line answers like a missing one (404)");

    // [tck-id-payloads-sequence-num-*] a seq gap: applied, and a Rebirth NCMD is sent
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 2000, seq: 5, metrics: [
      { alias: 2, ts: t0 + 2000, dt: DT.Int64, value: 43 },
    ] }));
    await until(() => ncmd.out.includes('TOPIC spBv1.0/taiji/NCMD/fill-1'), 10000, 'the Rebirth NCMD');
    const rebirthHex = Buffer.from('Node Control/Rebirth').toString('hex');
    check(ncmd.out.includes(rebirthHex), 'the NCMD carries Node Control/Rebirth');
    await until(async () => (await get(ent1, mpath)).json?.items?.find((i) => i.metric === 'count')?.value === 43,
      10000, 'the gap message to be applied');
    check(true, 'the message after the gap is applied');

    // late points (older than the newest) are merged, not dropped (client.c
    // NOTES 4): t0+500 lands inside the open block [t0, t0+1000] in memory,
    // t0-1000 is older than the open block and is merged into the store
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 500, seq: 6, metrics: [
      { alias: 1, ts: t0 + 500, dt: DT.Double, value: 99 },
      { alias: 2, ts: t0 + 3000, dt: DT.Int64, value: 44 },
    ] }));
    await until(async () => (await get(ent1, mpath)).json?.items?.find((i) => i.metric === 'count')?.value === 44,
      10000, 'the message with a late point');
    // stored rollups (migration 25, client.c NOTES 11): the 1-minute and
    // 1-hour buckets served with step= equal the aggregates of the raw
    // points - after in-order points and a late point inside the committed
    // open block (t0+500: its buckets rebuilt), then after one merged into
    // the store (t0-1000): nothing counted twice, nothing missed
    const checkRollups = async (when) => {
      for (const metric of ['speed', 'count']) {
        const range = `from=${t0 - 3 * 3600000}&to=${t0 + 3600000}`;
        const raw = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=${metric}&${range}`);
        for (const [step, w] of [['1m', 60000], ['1h', 3600000]]) {
          const want = rollupsOf(raw.json?.points || [], w);
          const r = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=${metric}&${range}&step=${step}`);
          const got = JSON.stringify(r.json?.buckets);
          check(r.status === 200 && r.json.step === step && want.length > 0 && got === JSON.stringify(want),
            `${when}: ${metric} step=${step} buckets equal the raw points' aggregates (${got}; want ${JSON.stringify(want)})`);
        }
      }
    };
    await checkRollups('after a late point inside the committed open block');
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 3000, seq: 7, metrics: [
      { alias: 1, ts: t0 - 1000, dt: DT.Double, value: 98 },
    ] }));
    const s2 = await until(async () => {
      const r = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 2000}`);
      return r.json?.points?.length === 4 ? r : null;
    }, 10000, 'the point older than the open block to be merged');
    check(JSON.stringify(s2.json.points) === JSON.stringify([[t0 - 1000, 98], [t0, 120.5], [t0 + 500, 99], [t0 + 1000, 121.25]]),
      `late points merged in time order (${JSON.stringify(s2.json?.points)})`);
    check((await get(ent1, mpath)).json.items.find((i) => i.metric === 'speed').value === 121.25,
      'the last value stays the newest point');

    // stored rollups (migration 25, client.c NOTES 11), after the point
    // merged into the store (t0-1000): see checkRollups
    await checkRollups('after a late point merged into the store');
    const rBad = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=speed&step=10s`);
    check(rBad.status === 400, `step=10s is 400 (${rBad.status})`);
    const rHidden = await get(ent2, `/api/v1/lines/${fill.id}/series?metric=speed&step=1m`);
    check(rHidden.status === 404, `another enterprise's buckets are 404 (${rHidden.status})`);

    // bad input does not disturb the stream: garbage payload, a node with no line
    await pub(mport, `${T}/NDATA/fill-1`, Buffer.from('not a protobuf \xff\xff'));
    await pub(mport, 'spBv1.0/nowhere/NBIRTH/ghost', payload({ ts: t0, seq: 0, metrics: [] }));
    await until(() => d.err.includes('unknown_line'), 10000, 'the unknown_line log line');
    check(/bad_payload from spBv1\.0\/taiji\/NDATA\/fill-1/.test(d.err), 'a malformed payload is counted and logged with its topic');
    check(true, 'a node without a line is counted and logged');

    // [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-*] NDEATH marks stale
    await pub(mport, `${T}/NDEATH/fill-1`, payload({ ts: t0 + 4000, metrics: [
      { name: 'bdSeq', ts: t0 + 4000, dt: DT.Int64, value: 0 },
    ] }));
    const dead = await until(async () => {
      const r = await get(ent1, mpath);
      return r.json?.items?.length && r.json.items.every((i) => i.stale === true) ? r : null;
    }, 10000, 'NDEATH to mark the line stale');
    check(dead.json.items.find((i) => i.metric === 'count').value === 44, 'stale values keep their last value');

    // the plain JSON topic format (Tahu-style JSON under parkline/json/...)
    const pack = lines1.json.items.find((l) => l.sp_node === 'pack-1');
    const J = 'parkline/json/taiji';
    await pub(mport, `${J}/NBIRTH/pack-1`, Buffer.from(JSON.stringify({ timestamp: t0, seq: 0, metrics: [
      { name: 'bdSeq', timestamp: t0, dataType: 'Int64', value: 0 },
      { name: 'Node Control/Rebirth', timestamp: t0, dataType: 'Boolean', value: false },
      { name: 'speed', alias: 1, timestamp: t0, dataType: 'Float', value: 60.5 },
    ] })));
    await pub(mport, `${J}/NDATA/pack-1`, Buffer.from(JSON.stringify({ timestamp: t0 + 1000, seq: 1, metrics: [
      { alias: 1, timestamp: t0 + 1000, dataType: 'Float', value: 61.25 },
    ] })));
    const pm = await until(async () => {
      const r = await get(ent1, `/api/v1/lines/${pack.id}/metrics`);
      return r.json?.items?.find((i) => i.metric === 'speed')?.value === 61.25 ? r : null;
    }, 10000, 'the JSON-format values');
    check(pm.json.items.length === 1, 'JSON format: NBIRTH + NDATA by alias applied to line pack-1');

    // /metrics: a counter per reject cause (exact counts of what was sent above)
    const met = await get(admin, '/metrics');
    const counter = (name) => {
      const mm = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(met.text);
      return mm ? Number(mm[1]) : null;
    };
    const want = [
      ['parkline_line_ingest_rejects_total{cause="seq_gap"}', 1],
      ['parkline_line_ingest_rejects_total{cause="late"}', 2], // arrived late, merged
      ['parkline_line_ingest_rejects_total{cause="bad_payload"}', 1],
      ['parkline_line_ingest_rejects_total{cause="unknown_line"}', 1],
      ['parkline_line_ingest_rejects_total{cause="duplicate"}', 0],
      ['parkline_line_ingest_points_total', 11],
      ['parkline_line_ingest_connected', 1],
    ];
    for (const [name, n] of want) check(counter(name) === n, `/metrics ${name} = ${counter(name)}, want ${n}`);
    check(counter('parkline_line_ingest_rebirths_total') >= 1, '/metrics counts the Rebirth sent');
    // 11 points stored in at least one and at most 11 commits
    const fl = counter('parkline_line_ingest_flushes_total');
    check(fl >= 1 && fl <= 11, `/metrics counts the flush commits (${fl})`);
    const ent1Metrics = await get(ent1, '/metrics');
    check(ent1Metrics.status === 403, `an enterprise user may not read /metrics (${ent1Metrics.status})`);

    // shutdown: SIGTERM ends cleanly and publishes STATE offline
    d.kill('SIGTERM');
    const code = await d.exited;
    check(code === 0, `daemon exits 0 on SIGTERM (${code})`);
    const off = start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mport), '-t', 'spBv1.0/STATE/parkline', '-C', '1', '-W', '10']);
    await off.exited;
    let st2 = null;
    try { st2 = JSON.parse(off.out); } catch { /* checked below */ }
    check(st2 && st2.online === false && st2.timestamp === st.timestamp,
      `STATE offline retained with the birth timestamp: ${off.out.trim()}`);
    broker.kill('SIGTERM');
  } catch (e) {
    t.failed++;
    console.log(`FAIL ${e.message}`);
    const d = t.procs[1];
    if (d) console.log(d.err.split('\n').slice(-30).join('\n'));
  } finally {
    for (const p of t.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`line: ${t.passed} passed, ${t.failed} failed`);
  process.exit(t.failed ? 1 : 0);
}
main();
