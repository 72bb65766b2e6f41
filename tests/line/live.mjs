// live.mjs - end-to-end test of live production (issue 6, line-live): a
// real mosquitto, the real daemon (`serve --demo --mqtt`), Sparkplug B
// published with mosquitto_pub (encoded by hand, as tests/line/ingest.mjs
// does), and the results read over HTTP and the SSE stream /api/v1/live:
// live tiles (state, speed, counts, OEE, alarms) pushed per flush and
// filtered per tenant, alarm rules raised on ingest, the ISA-18.2 actions
// (acknowledge, shelve, unshelve) with their 404/409/400 answers, the
// stale-data timer, a safety alarm opening one urgent desk request, the
// HTTP batch ingest (validation, device token bound to its line, nothing
// written on rejection) and the OEE report.
//
// usage: node tests/line/live.mjs [path/to/parkline]
// PL_LINE_DB=postgresql://... runs the daemon on that (empty) database.
// Prints "ok ..." / "FAIL ..." per check and "line: N passed, M failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  t, check, DT, payload, until, pub, login, get, send, csrfOf, sse, startMosquitto, startDemo,
} from './harness.mjs';

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-live-'));
  const streams = [];
  try {
    const { port: mport } = await startMosquitto(tmp);
    const d = await startDemo(tmp, 'live.db', 4, mport);

    const admin = await login('admin');
    const ent1 = await login('ent1');
    const ent2 = await login('ent2');
    const [csA, cs1, cs2] = [await csrfOf(admin), await csrfOf(ent1), await csrfOf(ent2)];
    const post = (who, cs, p, body) => send(who, 'POST', p, body, { 'X-CSRF-Token': cs });
    const fill = (await get(ent1, '/api/v1/lines')).json.items.find((l) => l.sp_node === 'fill-1');
    const s1 = sse(ent1), s2 = sse(ent2);
    streams.push(s1, s2);
    await Promise.all([s1.ready, s2.ready]);
    await until(() => s1.events.some((e) => e.event === 'hello') && s2.events.some((e) => e.event === 'hello'), 5000, 'SSE hello');

    // demo plan and rules
    const rules0 = await get(ent1, `/api/v1/lines/${fill.id}/alarms`);
    check(rules0.status === 200 && rules0.json.items.length === 3 && rules0.json.items.every((a) => a.state === 'normal'),
      `demo line has 3 alarm rules, all normal (${rules0.json?.items?.map((a) => a.name + ':' + a.state)})`);

    // a running line: birth with state, counters, speed, temperature, a reject reason
    const now = Date.now();
    const t0 = now - 3000;
    const T = 'spBv1.0/taiji';
    const tsStart = Date.now();
    await pub(mport, `${T}/NBIRTH/fill-1`, payload({ ts: t0, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0, dt: DT.Int64, value: 0 },
      { name: 'Node Control/Rebirth', ts: t0, dt: DT.Boolean, value: false },
      { name: 'state', alias: 1, ts: t0, dt: DT.Int32, value: 1 },
      { name: 'good', alias: 2, ts: t0, dt: DT.Int64, value: 1000 },
      { name: 'reject', alias: 3, ts: t0, dt: DT.Int64, value: 10 },
      { name: 'speed', alias: 4, ts: t0, dt: DT.Double, value: 118.5 },
      { name: 'temperature', alias: 5, ts: t0, dt: DT.Double, value: 60 },
      { name: 'vision/Reject/particle', alias: 6, ts: t0, dt: DT.Int64, value: 4 },
    ] }));
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 1000, seq: 1, metrics: [
      { alias: 2, ts: t0 + 1000, dt: DT.Int64, value: 1100 },
      { alias: 3, ts: t0 + 1000, dt: DT.Int64, value: 13 },
      { alias: 6, ts: t0 + 1000, dt: DT.Int64, value: 6 },
    ] }));
    const tileEv = await until(() => s1.events.find((e) => e.event === 'line' && e.data?.line_id === fill.id && e.data.good === 1100), 10000, 'a line tile over SSE');
    check(tileEv.data.state === 'running' && tileEv.data.speed === 118.5 && tileEv.data.reject === 13 && tileEv.data.stale === false,
      `SSE tile: running, speed 118.5, good 1100, reject 13 (${JSON.stringify(tileEv.data)})`);
    check(tileEv.at - tsStart < 5000, `tile reached the browser stream ${tileEv.at - tsStart} ms after the first publish`);
    check(!s2.events.some((e) => e.event === 'line'), 'enterprise 2 stream gets no tile of enterprise 1 (tenancy)');
    const live = await get(ent1, `/api/v1/lines/${fill.id}/live`);
    check(live.status === 200 && live.json.state === 'running' && live.json.alarms_active === 0 && live.json.oee && typeof live.json.oee === 'object',
      `GET live: running, 0 alarms, OEE of the running shift (${JSON.stringify(live.json?.oee)?.slice(0, 160)})`);
    check((await get(ent2, `/api/v1/lines/${fill.id}/live`)).status === 404, 'enterprise 2 gets 404 for the tile');

    // fault: down and temperature above the 80 degC rule
    await pub(mport, `${T}/NDATA/fill-1`, payload({ ts: t0 + 2000, seq: 2, metrics: [
      { alias: 1, ts: t0 + 2000, dt: DT.Int32, value: 3 },
      { alias: 5, ts: t0 + 2000, dt: DT.Double, value: 95.5 },
      { alias: 4, ts: t0 + 2000, dt: DT.Double, value: 0 },
    ] }));
    const alarmEv = await until(() => s1.events.find((e) => e.event === 'alarm' && e.data?.event === 'raised' && e.data.value === 95.5), 10000, 'an alarm event over SSE');
    check(alarmEv.data.state === 'unacknowledged' && alarmEv.data.value === 95.5 && alarmEv.data.line_id === fill.id,
      `SSE alarm raised at 95.5 (${JSON.stringify(alarmEv.data)})`);
    const downEv = await until(() => s1.events.find((e) => e.event === 'line' && e.data?.state === 'down' && e.data.alarms_active === 2), 10000, 'a down tile');
    check(downEv.data.alarms_unack === 2, 'tile turns down with 2 unacknowledged alarms (temperature, line stopped)');
    check(!s2.events.some((e) => e.event === 'alarm'), 'enterprise 2 stream gets no alarm of enterprise 1');
    const act1 = await get(ent1, '/api/v1/alarms');
    const act2 = await get(ent2, '/api/v1/alarms');
    const alarm = act1.json?.items?.find((a) => a.metric === 'temperature');
    check(act1.status === 200 && act1.json.items.length === 2 && alarm?.kind === 'high' && alarm.active === true &&
      act1.json.items[0].metric === 'state',
      `GET /alarms: ent1 sees the 2 active alarms, priority 1 first (${act1.json?.items?.map((a) => a.name)})`);
    check(act2.status === 200 && act2.json.items.length === 0, 'GET /alarms: ent2 sees none');

    // operator actions: table of {who, path, body, status, state}
    const A = `/api/v1/alarms/${alarm.id}`;
    const steps = [
      [ent2, cs2, `${A}/ack`, {}, 404, null, 'another tenant acknowledges: 404'],
      [ent1, cs1, `/api/v1/alarms/01ARZ3NDEKTSV4RRFFQ69G5FAV/ack`, {}, 404, null, 'missing alarm: 404'],
      [ent1, cs1, `${A}/unshelve`, {}, 409, null, 'unshelve when not shelved: 409'],
      [ent1, cs1, `${A}/ack`, {}, 200, 'acknowledged', 'acknowledge'],
      [ent1, cs1, `${A}/ack`, {}, 409, null, 'acknowledge twice: 409'],
      [ent1, cs1, `${A}/shelve`, { minutes: 0 }, 400, null, 'shelve 0 minutes: 400'],
      [ent1, cs1, `${A}/shelve`, { minutes: 'x' }, 400, null, 'shelve with a string: 400'],
      [ent1, cs1, `${A}/shelve`, { minutes: 5 }, 200, 'shelved', 'shelve 5 minutes'],
      [ent1, cs1, `${A}/unshelve`, {}, 200, 'unacknowledged', 'unshelve: still active, so unacknowledged again'],
    ];
    for (const [who, cs, p, body, status, state, what] of steps) {
      const r = await post(who, cs, p, body);
      check(r.status === status && (!state || r.json?.state === state), `${what} (${r.status} ${r.json?.state || r.json?.type || ''})`);
    }
    const hist = (await get(ent1, `/api/v1/lines/${fill.id}/alarms`)).json.items.find((a) => a.id === alarm.id).history.map((h) => h.event);
    check(JSON.stringify(hist) === JSON.stringify(['unshelved', 'shelved', 'acknowledged', 'raised']),
      `history newest first: ${hist}`);
    check(s1.events.some((e) => e.event === 'alarm' && e.data?.event === 'acknowledged'), 'the acknowledgement is published over SSE');

    // a rule over HTTP: validation table, then a 1 s stale rule raised by the timer
    const R = `/api/v1/lines/${fill.id}/alarms`;
    const bad = [
      [{ name: 'x', metric: 'speed', kind: 'nope', category: 'process', limit: 1 }, 'unknown kind'],
      [{ name: 'x', metric: 'speed', kind: 'high', category: 'nope', limit: 1 }, 'unknown category'],
      [{ name: 'x', metric: 'speed', kind: 'stale', category: 'process' }, 'stale without stale_ms'],
      [{ name: 'x', metric: 'speed', kind: 'roc', category: 'process', limit: 0 }, 'roc with limit 0'],
      [{ name: 'x', metric: 'speed', kind: 'high', category: 'process', limit: 1, priority: 9 }, 'priority 9'],
      [{ name: 'x', metric: 'speed', kind: 'high', category: 'process', limit: 1, extra: 1 }, 'unknown field'],
      [{ name: '', metric: 'speed', kind: 'high', category: 'process', limit: 1 }, 'empty name'],
    ];
    const before = (await get(ent1, R)).json.items.length;
    for (const [body, what] of bad) {
      const r = await post(ent1, cs1, R, body);
      check(r.status === 400, `rule with ${what}: 400 (${r.status} ${r.json?.detail || ''})`);
    }
    check((await get(ent1, R)).json.items.length === before, 'nothing was added by the rejected rules');
    check((await post(ent2, cs2, R, { name: 'x', metric: 'speed', kind: 'high', category: 'process', limit: 1 })).status === 404,
      'enterprise 2 cannot add a rule to enterprise 1\'s line (404)');
    const stale = await post(ent1, cs1, R, { name: '无数据 quick stale', metric: 'temperature', kind: 'stale', category: 'equipment', stale_ms: 1000 });
    check(stale.status === 201 && stale.json.state === 'normal', `stale rule added (${stale.status})`);
    await until(async () => (await get(ent1, R)).json.items.find((a) => a.id === stale.json.id)?.state === 'unacknowledged', 10000, 'the stale timer to raise the alarm');
    check(true, 'no temperature for 1 s: the timer raises the stale alarm');

    // HTTP batch ingest: only park admin or a device token of this line
    const I = `/api/v1/lines/${fill.id}/ingest`;
    const tn = Date.now();
    check((await post(ent1, cs1, I, { points: [{ metric: 'smoke', t: tn, value: 0 }] })).status === 403, 'an enterprise user may not ingest (403)');
    const badIngest = [
      [{ points: [] }, 'no points'],
      [{ points: [{ metric: 'smoke', t: tn + 3600e3, value: 1 }] }, 'a point an hour in the future'],
      [{ points: [{ metric: 'smoke', t: tn, value: 'high' }] }, 'a string value'],
      [{ points: [{ metric: 'smoke', t: tn, value: 1, unit: 'x' }] }, 'an extra field'],
      [{ points: [{ metric: 'smoke', t: 'yesterday', value: 1 }] }, 'a bad time'],
      [{ points: [{ metric: 'smoke', t: tn, value: 0 }, { metric: '', t: tn, value: 1 }] }, 'one bad point among good ones'],
    ];
    for (const [body, what] of badIngest) {
      const r = await post(admin, csA, I, body);
      check(r.status === 400 && r.json?.type === 'urn:parkline:problem:validation', `ingest with ${what}: 400 (${r.status} ${r.json?.detail || ''})`);
    }
    check(!(await get(ent1, `/api/v1/lines/${fill.id}/metrics`)).json.items.some((m) => m.metric === 'smoke'), 'rejected batches wrote nothing');
    // a safety rule: smoke above 0.5 opens one urgent desk request
    const smoke = await post(ent1, cs1, R, { name: '烟雾报警 Smoke', metric: 'smoke', kind: 'high', category: 'smoke', limit: 0.5, priority: 1 });
    check(smoke.status === 201 && smoke.json.safety === true, 'smoke rule added, safety category');
    const ok1 = await post(admin, csA, I, { points: [{ metric: 'smoke', t: tn - 2000, value: 0 }, { metric: 'smoke', t: new Date(tn - 1000).toISOString(), value: 0.9 }, { metric: 'smoke', t: tn - 1000, value: 1 }] });
    check(ok1.status === 200 && ok1.json.accepted === 2 && ok1.json.late === 0, `batch accepted 2 (one duplicate time, counted once) (${JSON.stringify(ok1.json)})`);
    const sm = (await get(ent1, R)).json.items.find((a) => a.id === smoke.json.id);
    check(sm.state === 'unacknowledged' && typeof sm.desk_request_id === 'string', `smoke alarm active with desk request ${sm.desk_request_id}`);
    const req = await get(ent1, `/api/v1/desk/requests/${sm.desk_request_id}`);
    check(req.status === 200 && req.json.urgency === 'critical' && req.json.title.includes('烟雾'), `the desk request is critical (${req.json?.urgency} ${req.json?.title})`);
    const again = await post(admin, csA, I, { points: [{ metric: 'smoke', t: tn, value: 1 }] });
    check(again.status === 200 && (await get(ent1, R)).json.items.find((a) => a.id === smoke.json.id).desk_request_id === sm.desk_request_id,
      'still active: no second desk request');
    const late = await post(admin, csA, I, { points: [{ metric: 'smoke', t: tn - 5000, value: 1 }] });
    const lateS = await get(ent1, `/api/v1/lines/${fill.id}/series?metric=smoke&from=${tn - 6000}&to=${tn - 4000}`);
    check(late.status === 200 && late.json.accepted === 1 && late.json.late === 1 &&
      JSON.stringify(lateS.json?.points) === JSON.stringify([[tn - 5000, 1]]), `a point older than the newest is late and merged (${JSON.stringify(lateS.json?.points)})`);
    // a device token bound to the line
    const tok = await post(admin, csA, '/api/v1/tokens', { name: 'fill-1 gateway', role: 'device', enterprise_id: fill.enterprise_id, line_id: fill.id });
    const pack = (await get(ent1, '/api/v1/lines')).json.items.find((l) => l.sp_node === 'pack-1');
    const bearer = { Authorization: `Bearer ${tok.json?.token}` };
    const dOk = await send(null, 'POST', I, { points: [{ metric: 'gw/flow', t: Date.now(), value: 3.5 }] }, bearer);
    const dOther = await send(null, 'POST', `/api/v1/lines/${pack.id}/ingest`, { points: [{ metric: 'gw/flow', t: Date.now(), value: 3.5 }] }, bearer);
    check(tok.status === 201 && dOk.status === 200 && dOk.json.accepted === 1, `device token ingests into its line (${tok.status} ${dOk.status})`);
    check(dOther.status === 403 || dOther.status === 404, `device token cannot ingest into another line (${dOther.status})`);

    // OEE report of the running shift and of today
    const oee = await get(ent1, `/api/v1/lines/${fill.id}/oee`);
    check(oee.status === 200 && oee.json.good === 100 && oee.json.reject === 3 && oee.json.planned_busy_ms > 0 &&
      oee.json.reject_pareto?.[0]?.reason === 'particle' && oee.json.reject_pareto[0].count === 2,
      `OEE of the shift: good 100, reject 3, Pareto particle 2 (${JSON.stringify(oee.json)?.slice(0, 300)})`);
    check(Math.abs(oee.json.defect_rate - 3 / 103) < 1e-9, `defect rate 3/103 (${oee.json.defect_rate})`);
    const bj = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const day = await get(ent1, `/api/v1/lines/${fill.id}/oee?day=${bj}`);
    check(day.status === 200 && day.json.scope === 'day' && day.json.good === 100, `OEE of the day ${bj} (${day.status})`);
    for (const [q, st, what] of [['?day=2026-13-45', 400, 'bad day'], ['?shift=soon', 400, 'bad shift'], ['?day=2026-01-01&shift=current', 400, 'both'], ['?x=1', 400, 'unknown parameter']]) {
      const r = await get(ent1, `/api/v1/lines/${fill.id}/oee${q}`);
      check(r.status === st, `OEE ${what}: ${st} (${r.status})`);
    }
    check((await get(ent2, `/api/v1/lines/${fill.id}/oee`)).status === 404, 'enterprise 2 gets 404 for the OEE');
    d.kill('SIGTERM');
    check(await d.exited === 0, 'daemon exits 0 on SIGTERM');
  } catch (e) {
    t.failed++;
    console.log(`FAIL ${e.message}`);
    const d = t.procs[1];
    if (d) console.log(d.err.split('\n').slice(-30).join('\n'));
  } finally {
    for (const s of streams) s.close();
    for (const p of t.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`line-live: ${t.passed} passed, ${t.failed} failed`);
  process.exit(t.failed ? 1 : 0);
}
main();
