// broker.mjs - broker access per line and QoS 1 across a parkline restart
// (issue 6, line-live), against a real mosquitto:
//  1. `parkline admin mqtt --out DIR` writes password_file / acl_file /
//     credentials for the demo lines; a mosquitto using them refuses
//     anonymous and wrong-password clients, lets line fill-1 publish under
//     its own Sparkplug topics (a host subscriber receives them), and does
//     not forward what fill-1 publishes under pack-1's topics (checked with
//     a sentinel: the broker queues to a subscriber in the order it
//     accepts publishes, so when pack-1's own sentinel arrives, a forwarded
//     forged message would have arrived before it).
//  2. `parkline serve --mqtt` logs in as the host user (mqtt_user,
//     mqtt_password_file), and a birth and data published at QoS 1 while
//     serve is stopped are stored after it restarts: its persistent session
//     (clean_session=false) makes the broker keep them.
//  3. QoS 1 is acknowledged only after it is committed (src/mqtt/client.c
//     NOTES 10): a birth that serve received but could not commit (the
//     store locked by another process) when it was killed with SIGKILL is
//     sent again by the broker and stored by the next serve.
//  4. A broker restart (mosquitto `persistence true`) loses nothing
//     acknowledged: QoS 1 data queued for serve while it is down survives
//     it, and a running serve reconnects and stores what follows.
//  5. A serve started while its broker is down says so, connects once the
//     broker is up, and stores what follows.
// usage: node tests/line/broker.mjs [path/to/parkline]
// Prints "ok ..." / "FAIL ..." per check and "line-broker: N passed, M failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  root, BIN, t, check, DT, payload, freePort, start, until, connectable, login, get, daemonEnv,
} from './harness.mjs';

function mpub(port, user, pass, topic, buf) {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-s'];
  if (user) args.push('-u', user, '-P', pass);
  const p = start('mosquitto_pub', args);
  p.stdin.end(buf);
  return p.exited;
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-broker-'));
  try {
    const db = path.join(tmp, 'b.db');
    const env = daemonEnv();
    // the demo lines: one serve --demo run
    const seed = start(BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--db', db], { cwd: tmp, env });
    await until(() => /listening on/.test(seed.out), 30000, 'the demo seed');
    seed.kill('SIGTERM');
    await seed.exited;

    const out = path.join(tmp, 'mq');
    fs.mkdirSync(out);
    const adm = start(BIN, ['admin', '--db', db, 'mqtt', '--out', out], { env });
    check(await adm.exited === 0, `admin mqtt exits 0 (${adm.err.trim()})`);
    check((fs.statSync(path.join(out, 'password_file')).mode & 0o777) === 0o600 &&
      (fs.statSync(path.join(out, 'credentials')).mode & 0o777) === 0o600, 'password_file and credentials are 0600');
    const cred = Object.fromEntries(fs.readFileSync(path.join(out, 'credentials'), 'utf8').split('\n')
      .filter((l) => l && !l.startsWith('#')).map((l) => { const [u, p] = l.split(' '); return [u, p]; }));
    check(cred['parkline-host'] && cred['line-taiji-fill-1'] && cred['line-taiji-pack-1'], `credentials for host and both lines (${Object.keys(cred)})`);
    const bad = start(BIN, ['admin', '--db', db, 'mqtt'], { env });
    check(await bad.exited === 2, 'admin mqtt without --out: exit 2');
    const acl = fs.readFileSync(path.join(out, 'acl_file'), 'utf8');
    check(acl.includes('topic write spBv1.0/taiji/NDATA/fill-1\n') && !/user line-taiji-fill-1[^]*?topic write spBv1\.0\/taiji\/NDATA\/pack-1\n[^]*?user line-taiji-pack-1/.test(acl),
      'acl_file: fill-1 writes only its own topics');

    const mport = await freePort();
    fs.writeFileSync(path.join(tmp, 'mosquitto.conf'), `listener ${mport} 127.0.0.1\nallow_anonymous false\npassword_file ${out}/password_file\nacl_file ${out}/acl_file\npersistence true\npersistence_location ${tmp}/\nuser root\n`);
    const broker = () => start('mosquitto', ['-c', path.join(tmp, 'mosquitto.conf')]);
    let mq = broker();
    await until(() => connectable(mport), 10000, 'mosquitto to listen');

    const H = ['parkline-host', cred['parkline-host']], F = ['line-taiji-fill-1', cred['line-taiji-fill-1']], P = ['line-taiji-pack-1', cred['line-taiji-pack-1']];
    const sub = start('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(mport), '-u', H[0], '-P', H[1], '-t', 'spBv1.0/#', '-F', 'MSG %t %p']);
    await until(() => sub.out.includes('SUBACK'), 10000, 'the host subscriber');
    const msgs = () => sub.out.split('\n').filter((l) => l.startsWith('MSG '));
    check(await mpub(mport, null, null, 'spBv1.0/taiji/NDATA/fill-1', 'anon') !== 0, 'anonymous publisher refused');
    check(await mpub(mport, F[0], 'wrong', 'spBv1.0/taiji/NDATA/fill-1', 'x') !== 0, 'wrong password refused');
    check(await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NDATA/fill-1', 'own') === 0, 'fill-1 publishes to its own topic');
    await until(() => msgs().some((l) => l === 'MSG spBv1.0/taiji/NDATA/fill-1 own'), 10000, 'fill-1 own message at the host');
    check(true, 'the host receives fill-1\'s own message');
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NDATA/pack-1', 'forged');
    await mpub(mport, F[0], F[1], 'parkline/json/taiji/NDATA/pack-1', 'forged-json');
    await mpub(mport, P[0], P[1], 'spBv1.0/taiji/NDATA/pack-1', 'sentinel');
    await until(() => msgs().some((l) => l.endsWith(' sentinel')), 10000, 'the sentinel');
    check(!msgs().some((l) => l.includes('forged')), `fill-1 cannot publish as pack-1 (${msgs().length} messages seen)`);

    // 2. QoS 1 across a parkline restart (persistent session)
    fs.writeFileSync(path.join(tmp, 'host.pw'), H[1] + '\n', { mode: 0o600 });
    const senv = { ...env, PARKLINE_MQTT_USER: H[0], PARKLINE_MQTT_PASSWORD_FILE: path.join(tmp, 'host.pw') };
    const serveArgs = ['serve', '--listen', '127.0.0.1:0', '--db', db, '--mqtt', `mqtt://127.0.0.1:${mport}`];
    let d = start(BIN, serveArgs, { cwd: tmp, env: senv });
    let hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'serve');
    t.base = `http://127.0.0.1:${hport}`;
    await until(() => msgs().some((l) => l.startsWith('MSG spBv1.0/STATE/parkline {"online":true')), 10000, 'serve online as the host user');
    check(true, 'serve connects as the host user and publishes STATE');
    d.kill('SIGTERM');
    check(await d.exited === 0, 'serve stops');
    const t0 = Date.now() - 5000;
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NBIRTH/fill-1', payload({ ts: t0, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0, dt: DT.Int64, value: 1 },
      { name: 'Node Control/Rebirth', ts: t0, dt: DT.Boolean, value: false },
      { name: 'speed', alias: 1, ts: t0, dt: DT.Double, value: 77.5 },
    ] }));
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NDATA/fill-1', payload({ ts: t0 + 1000, seq: 1, metrics: [
      { alias: 1, ts: t0 + 1000, dt: DT.Double, value: 78.25 },
    ] }));
    d = start(BIN, serveArgs, { cwd: tmp, env: senv });
    hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'serve again');
    t.base = `http://127.0.0.1:${hport}`;
    const admin = await login('admin');
    const fill = (await get(admin, '/api/v1/lines')).json.items.find((l) => l.sp_node === 'fill-1');
    const pts = await until(async () => {
      const r = await get(admin, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 1}`);
      return r.json?.points?.length === 2 ? r.json.points : null;
    }, 15000, 'the queued QoS 1 messages after the restart');
    check(JSON.stringify(pts) === JSON.stringify([[t0, 77.5], [t0 + 1000, 78.25]]), `birth and data sent while serve was down are stored (${JSON.stringify(pts)})`);

    // 3. QoS 1 is acknowledged only after its commit: with the store's
    //    write lock held by another process, serve receives a birth but
    //    cannot commit it (its flush fails after the 5 s busy timeout and
    //    logs db_error); kill -9 then; the broker must send the birth again
    //    to the next serve, which stores it. Had serve acknowledged on
    //    receipt, the birth would be gone.
    const lock = start('stdbuf', ['-oL', 'sqlite3', db]);
    lock.stdin.write(".bail on\n.timeout 10000\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n");
    await until(() => lock.out.includes('locked'), 15000, 'the store write lock');
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NBIRTH/fill-1', payload({ ts: t0 + 2000, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0 + 2000, dt: DT.Int64, value: 2 },
      { name: 'Node Control/Rebirth', ts: t0 + 2000, dt: DT.Boolean, value: false },
      { name: 'speed', alias: 1, ts: t0 + 2000, dt: DT.Double, value: 80.5 },
    ] }));
    await until(() => /db_error/.test(d.err), 30000, 'serve to receive the birth and fail to commit it');
    d.kill('SIGKILL');
    await d.exited;
    lock.stdin.end('ROLLBACK;\n');
    check(await lock.exited === 0, 'the lock holder ends cleanly');
    d = start(BIN, serveArgs, { cwd: tmp, env: senv });
    hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'serve after kill -9');
    t.base = `http://127.0.0.1:${hport}`;
    const admin2 = await login('admin');
    const pts2 = await until(async () => {
      const r = await get(admin2, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 1}`);
      return r.json?.points?.length === 3 ? r.json.points : null;
    }, 15000, 'the unacknowledged QoS 1 birth, sent again after kill -9');
    check(JSON.stringify(pts2.at(-1)) === JSON.stringify([t0 + 2000, 80.5]),
      `a QoS 1 message received but not committed before kill -9 is sent again and stored (${JSON.stringify(pts2)})`);
    d.kill('SIGTERM');
    check(await d.exited === 0, 'serve stops after the redelivery');

    // 4. A broker restart (mosquitto with `persistence true`) loses nothing
    //    acknowledged: data published at QoS 1 while serve is down survives
    //    the broker's restart in serve's persistent session; and serve,
    //    running, reconnects after another broker restart and stores what
    //    comes after it.
    //    (A new serve has no Sparkplug session for the node, so what
    //    waits for it is a birth, as an edge node sends after connecting.)
    const ndata = (seq, ts, value) => payload({ ts, seq, metrics: [{ alias: 1, ts, dt: DT.Double, value }] });
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NBIRTH/fill-1', payload({ ts: t0 + 3000, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0 + 3000, dt: DT.Int64, value: 3 },
      { name: 'Node Control/Rebirth', ts: t0 + 3000, dt: DT.Boolean, value: false },
      { name: 'speed', alias: 1, ts: t0 + 3000, dt: DT.Double, value: 81.25 },
    ] }));
    const restartBroker = async () => {
      mq.kill('SIGTERM');
      await mq.exited;
      mq = broker();
      await until(() => connectable(mport), 10000, 'mosquitto to listen again');
    };
    await restartBroker();
    d = start(BIN, serveArgs, { cwd: tmp, env: senv });
    hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'serve after the broker restart');
    t.base = `http://127.0.0.1:${hport}`;
    const admin3 = await login('admin');
    const series = async (n) => until(async () => {
      const r = await get(admin3, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 1}`);
      return r.json?.points?.length === n ? r.json.points : null;
    }, 20000, `${n} points of speed`);
    const pts3 = await series(4);
    check(JSON.stringify(pts3.at(-1)) === JSON.stringify([t0 + 3000, 81.25]),
      `QoS 1 data queued for serve survives a broker restart (${JSON.stringify(pts3.at(-1))})`);
    await restartBroker();
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NDATA/fill-1', ndata(1, t0 + 4000, 82));
    const pts4 = await series(5);
    check(JSON.stringify(pts4.at(-1)) === JSON.stringify([t0 + 4000, 82]),
      `serve reconnects after a broker restart and stores what follows (${JSON.stringify(pts4.at(-1))})`);
    d.kill('SIGTERM');
    check(await d.exited === 0, 'serve stops after the broker restarts');

    // 5. serve started while its broker is down (src/mqtt/client.c NOTES
    //    12, its own network thread): it says so, keeps retrying with a
    //    backoff, and once the broker is up connects and stores what comes.
    mq.kill('SIGTERM');
    await mq.exited;
    d = start(BIN, serveArgs, { cwd: tmp, env: senv });
    await until(() => /cannot reach the broker at 127\.0\.0\.1:\d+; retrying/.test(d.err), 20000,
      'serve to report its broker unreachable');
    check(!/connected to 127/.test(d.err), 'serve started before its broker reports it unreachable, not connected');
    mq = broker();
    await until(() => connectable(mport), 10000, 'mosquitto to listen again');
    await until(() => /connected to 127\.0\.0\.1/.test(d.err), 20000, 'serve to connect once its broker is up');
    hport = await until(() => /listening on http:\/\/[^:]+:(\d+)\//.exec(d.out)?.[1], 20000, 'serve started first');
    t.base = `http://127.0.0.1:${hport}`;
    const admin4 = await login('admin');
    await mpub(mport, F[0], F[1], 'spBv1.0/taiji/NBIRTH/fill-1', payload({ ts: t0 + 5000, seq: 0, metrics: [
      { name: 'bdSeq', ts: t0 + 5000, dt: DT.Int64, value: 4 },
      { name: 'Node Control/Rebirth', ts: t0 + 5000, dt: DT.Boolean, value: false },
      { name: 'speed', alias: 1, ts: t0 + 5000, dt: DT.Double, value: 83.5 },
    ] }));
    const pts5 = await until(async () => {
      const r = await get(admin4, `/api/v1/lines/${fill.id}/series?metric=speed&from=${t0 - 1}`);
      return r.json?.points?.length === 6 ? r.json.points : null;
    }, 20000, '6 points of speed');
    check(JSON.stringify(pts5.at(-1)) === JSON.stringify([t0 + 5000, 83.5]),
      `serve started before its broker connects when it comes up and stores what follows (${JSON.stringify(pts5.at(-1))})`);
    d.kill('SIGTERM');
    check(await d.exited === 0, 'serve started before its broker stops cleanly');
  } catch (e) {
    t.failed++;
    console.log(`FAIL ${e.message}`);
    for (const p of t.procs) if (p.err) console.log(p.err.split('\n').slice(-5).join('\n'));
  } finally {
    for (const p of t.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`line-broker: ${t.passed} passed, ${t.failed} failed`);
  process.exit(t.failed ? 1 : 0);
}
main();
