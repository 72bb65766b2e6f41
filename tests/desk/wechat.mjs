// wechat.mjs - the WeChat Official Account callback end to end (owner:
// helper "desk-wechat"; docs/desk.md "WeChat callback"). Starts
// `parkline serve --demo` on a temporary SQLite file (or --pg URL) with a
// fixed token, EncodingAESKey and AppID, computes every signature and
// ciphertext here with node:crypto following shared/docs/domain/
// wechat-sms.md (sha1 over the sorted strings; AES-256-CBC, IV = key[0:16],
// PKCS#7 to 32-byte blocks, random16 | BE32 length | message | AppID), and
// checks: URL verification (plain ok, forged 401, encrypted echostr
// answered decrypted), OpenID bindings and their tenancy, a text from a
// bound OpenID opening a wechat request that the enterprise sees, a second
// one noted on it, a replayed MsgId stored once, a safe-mode message, an
// unbound sender changing nothing (and getting an encrypted reply that
// decrypts), stale timestamps and forged signatures refused with nothing
// changed.
//
// Usage: node tests/desk/wechat.mjs [--bin build/parkline] [--pg URL]
// Prints "ok - ..." / "not ok - ..." lines and "RESULT <passed> <failed>".
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, freePort, request as httpRequest, results } from '../support/check.mjs';

const TOKEN = 'pltesttoken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'; // the shared vector's key
const APPID = 'wxb11529c136998cb6';
const GH = 'gh_parkline';
const PASSWORD = 'parkline-demo';

const opt = { bin: 'build/parkline', pg: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === '--bin') { opt.bin = v; i++; }
  else if (a === '--pg') { opt.pg = v; i++; }
  else { console.error(`wechat.mjs: unknown argument ${a}`); process.exit(2); }
}

// ------------------------------------------------------------ WeChat side
const sign = (...parts) => crypto.createHash('sha1').update(parts.map(String).sort().join('')).digest('hex');
const key = Buffer.from(`${AES_KEY}=`, 'base64'); // node ignores the discarded low bits
function encrypt(msg) {
  const m = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  let plain = Buffer.concat([crypto.randomBytes(16), len, m, Buffer.from(APPID)]);
  const pad = 32 - (plain.length % 32);
  plain = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const c = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
}
function decrypt(b64) {
  const d = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  d.setAutoPadding(false);
  const p = Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]);
  const body = p.subarray(0, p.length - p[p.length - 1]);
  const n = body.readUInt32BE(16);
  return { msg: body.subarray(20, 20 + n).toString('utf8'), appid: body.subarray(20 + n).toString() };
}
const now = () => Math.floor(Date.now() / 1000);
const textXml = (from, msgId, content, ts = now()) =>
  `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
  `<CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
  `<MsgId>${msgId}</MsgId></xml>`;

// ------------------------------------------------------------- daemon side
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-wechat-'));
const db = opt.pg || path.join(dir, 'wechat.db');
let port;
const request = (method, p, { body, raw, headers } = {}) =>
  httpRequest({ port, parse: 'typed' }, method, p, { body, raw, headers });

async function start() {
  port = await freePort();
  const log = fs.openSync(path.join(dir, 'serve.log'), 'a');
  const env = {
    ...process.env, PARKLINE_HASH_COST: 'interactive', PARKLINE_WECHAT_TOKEN: TOKEN,
    PARKLINE_WECHAT_AES_KEY: AES_KEY, PARKLINE_WECHAT_APPID: APPID,
  };
  const child = spawn(opt.bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--db', db],
    { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  let gone = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { gone = { code, signal }; resolve(gone); }));
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`serve exited during start-up: ${JSON.stringify(gone)}`);
    try { if ((await request('GET', '/readyz')).status === 200) return { child, exited }; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('serve not ready');
}

async function login(user) {
  const r = await request('POST', '/api/v1/auth/login', { body: { username: user, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${user}: ${r.status}`);
  const cookie = r.headers['set-cookie'].map((c) => c.split(';')[0]).find((c) => c.startsWith('pl_session='));
  return { headers: { Cookie: cookie, 'X-CSRF-Token': r.body.csrf_token }, user: r.body.user };
}

// A signed callback POST: plain, or safe mode (envelope + msg_signature).
function callback(xml, { safe = false, ts = now(), nonce = crypto.randomBytes(6).toString('hex'), forge = false } = {}) {
  const q = new URLSearchParams({ signature: sign(TOKEN, ts, nonce), timestamp: String(ts), nonce, openid: 'x' });
  if (forge) q.set('signature', sign('not-the-token', ts, nonce));
  let body = xml;
  if (safe) {
    const enc = encrypt(xml);
    body = `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`;
    q.set('encrypt_type', 'aes');
    q.set('msg_signature', sign(TOKEN, ts, nonce, enc));
  }
  const t0 = process.hrtime.bigint();
  return request('POST', `/api/v1/desk/inbound/wechat?${q}`, { raw: body, headers: { 'Content-Type': 'text/xml' } })
    .then((r) => { slowest = Math.max(slowest, Number(process.hrtime.bigint() - t0) / 1e6); return r; });
}
let slowest = 0; // ms, the slowest callback answer: WeChat gives up after 5 s

async function wechatRequests(auth) {
  const r = await request('GET', '/api/v1/desk/requests?limit=500', { headers: auth.headers });
  return (r.body.items || []).filter((x) => x.channel === 'wechat');
}
async function history(auth, id) {
  const r = await request('GET', `/api/v1/desk/requests/${id}`, { headers: auth.headers });
  return (r.body.history || []).filter((h) => h.action === 'wechat_message');
}

// ----------------------------------------------------------------- checks
const d = await start();
try {
  // URL verification
  {
    const ts = now(), nonce = 'n1', echo = 'echo-12345';
    let r = await request('GET', `/api/v1/desk/inbound/wechat?signature=${sign(TOKEN, ts, nonce)}&timestamp=${ts}&nonce=${nonce}&echostr=${echo}`);
    check(r.status === 200 && r.body === echo, 'plain URL verification echoes echostr', `${r.status} ${JSON.stringify(r.body)}`);
    r = await request('GET', `/api/v1/desk/inbound/wechat?signature=${sign('wrong', ts, nonce)}&timestamp=${ts}&nonce=${nonce}&echostr=${echo}`);
    check(r.status === 401 && !String(JSON.stringify(r.body)).includes(echo), 'forged verification signature: 401 without the echostr', `${r.status}`);
    const old = ts - 3600;
    r = await request('GET', `/api/v1/desk/inbound/wechat?signature=${sign(TOKEN, old, nonce)}&timestamp=${old}&nonce=${nonce}&echostr=${echo}`);
    check(r.status === 401, 'stale verification timestamp: 401', `${r.status}`);
    const enc = encrypt('加密的echostr 42');
    const q = new URLSearchParams({ msg_signature: sign(TOKEN, ts, nonce, enc), timestamp: String(ts), nonce, echostr: enc });
    r = await request('GET', `/api/v1/desk/inbound/wechat?${q}`);
    check(r.status === 200 && r.body === '加密的echostr 42', 'encrypted URL verification answers the decrypted echostr', `${r.status} ${JSON.stringify(r.body)}`);
    q.set('msg_signature', sign(TOKEN, ts, nonce, `${enc}x`));
    r = await request('GET', `/api/v1/desk/inbound/wechat?${q}`);
    check(r.status === 401, 'encrypted verification with a wrong msg_signature: 401', `${r.status}`);
  }

  const admin = await login('admin');
  const ent1 = await login('ent1');
  const ent2 = await login('ent2');
  const e1 = ent1.user.enterprise_id, e2 = ent2.user.enterprise_id;
  check(e1 && e2 && e1 !== e2, 'ent1 and ent2 belong to two enterprises', `${e1} ${e2}`);

  // bindings and their tenancy
  {
    let r = await request('POST', '/api/v1/desk/wechat-bindings', { headers: ent1.headers, body: { openid: 'oENT1_zhang', contact_name: '张经理' } });
    check(r.status === 201 && r.body.enterprise_id === e1, 'ent1 binds an OpenID to its own contact', `${r.status} ${JSON.stringify(r.body)}`);
    r = await request('POST', '/api/v1/desk/wechat-bindings', { headers: ent2.headers, body: { openid: 'oENT2_x', enterprise_id: e1, contact_name: '冒名' } });
    check(r.status === 404, "ent2 cannot bind to ent1's enterprise (404)", `${r.status}`);
    r = await request('POST', '/api/v1/desk/wechat-bindings', { headers: admin.headers, body: { openid: 'oENT1_zhang', enterprise_id: e2, contact_name: '重复' } });
    check(r.status === 409, 'an OpenID bound already: 409', `${r.status}`);
    r = await request('POST', '/api/v1/desk/wechat-bindings', { headers: admin.headers, body: { openid: 'bad openid!', enterprise_id: e2, contact_name: '李' } });
    check(r.status === 400, 'an OpenID with odd characters: 400', `${r.status}`);
    r = await request('GET', '/api/v1/desk/wechat-bindings', { headers: ent2.headers });
    check(r.status === 200 && r.body.items.length === 0, "ent2 does not see ent1's binding", JSON.stringify(r.body));
    r = await request('GET', '/api/v1/desk/wechat-bindings', { headers: ent1.headers });
    check(r.status === 200 && r.body.items.length === 1 && r.body.items[0].contact_name === '张经理', 'ent1 lists its binding', JSON.stringify(r.body));
    r = await request('DELETE', '/api/v1/desk/wechat-bindings/oENT1_zhang', { headers: ent2.headers });
    check(r.status === 404, "ent2 cannot delete ent1's binding (404)", `${r.status}`);
    r = await request('POST', '/api/v1/desk/wechat-bindings', { headers: admin.headers, body: { openid: 'oTMP', enterprise_id: e2, contact_name: '临时' } });
    const del = await request('DELETE', '/api/v1/desk/wechat-bindings/oTMP', { headers: admin.headers });
    check(r.status === 201 && del.status === 204, 'the park admin binds and unbinds for any enterprise', `${r.status} ${del.status}`);
  }

  const before1 = (await wechatRequests(ent1)).length, before2 = (await wechatRequests(ent2)).length;
  // a text from the bound OpenID opens a request
  let reqId;
  {
    const r = await callback(textXml('oENT1_zhang', '7100000000000000001', '园区东门路灯坏了\n请尽快维修'));
    check(r.status === 200 && r.body === 'success' && r.headers['x-parkline-wechat-result'] === 'created', 'a bound sender\'s text: "success", request created', `${r.status} ${r.body} ${r.headers['x-parkline-wechat-result']}`);
    const reqs = await wechatRequests(ent1);
    reqId = reqs.length === before1 + 1 ? reqs.find((x) => x.title === '园区东门路灯坏了')?.id : null;
    check(Boolean(reqId), 'ent1 sees the new wechat request titled by the first line', JSON.stringify(reqs.map((x) => x.title)));
  }
  // the second message extends it
  {
    const r = await callback(textXml('oENT1_zhang', '7100000000000000002', '补充：是3号路灯'));
    check(r.status === 200 && r.headers['x-parkline-wechat-result'] === 'appended', 'a second message is appended', `${r.status} ${r.headers['x-parkline-wechat-result']}`);
    const h = reqId ? await history(ent1, reqId) : [];
    check(h.length === 1 && h[0].note.includes('补充：是3号路灯') && h[0].note.includes('张经理'), 'the note is in the request history with the contact name', JSON.stringify(h));
    check((await wechatRequests(ent1)).length === before1 + 1, 'still one wechat request for ent1');
  }
  // a replay of the same MsgId (WeChat's retry) is stored once
  {
    const r = await callback(textXml('oENT1_zhang', '7100000000000000002', '补充：是3号路灯'));
    check(r.status === 200 && r.body === 'success' && r.headers['x-parkline-wechat-result'] === 'duplicate', 'a replayed MsgId: "success", duplicate', `${r.status} ${r.headers['x-parkline-wechat-result']}`);
    const h = reqId ? await history(ent1, reqId) : [];
    check(h.length === 1, 'the replay added no note', `${h.length}`);
  }
  // safe mode round trip
  {
    const r = await callback(textXml('oENT1_zhang', '7100000000000000003', '加密消息：今天能来吗？'), { safe: true });
    check(r.status === 200 && r.headers['x-parkline-wechat-result'] === 'appended', 'an encrypted (safe mode) message is decrypted and appended', `${r.status} ${JSON.stringify(r.body)}`);
    const h = reqId ? await history(ent1, reqId) : [];
    check(h.length === 2 && h[1].note.includes('加密消息：今天能来吗？'), 'its text is in the history', JSON.stringify(h));
  }
  // unbound sender: a polite reply, nothing stored
  {
    let r = await callback(textXml('oSTRANGER', '7100000000000000004', '你好'));
    check(r.status === 200 && r.headers['x-parkline-wechat-result'] === 'unbound' && String(r.body).includes('绑定') &&
      String(r.body).includes('<ToUserName><![CDATA[oSTRANGER]]>'), 'an unbound sender gets a passive text reply asking to bind', `${r.status} ${r.body}`);
    r = await callback(textXml('oSTRANGER', '7100000000000000005', '你好'), { safe: true });
    const m = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt><MsgSignature><!\[CDATA\[([0-9a-f]+)\]\]><\/MsgSignature><TimeStamp>(\d+)<\/TimeStamp><Nonce><!\[CDATA\[([^\]]+)\]\]>/.exec(String(r.body));
    const ok = m && sign(TOKEN, m[3], m[4], m[1]) === m[2] && decrypt(m[1]).appid === APPID && decrypt(m[1]).msg.includes('绑定');
    check(r.status === 200 && Boolean(ok), 'in safe mode the reply is encrypted, signed and decrypts to the text', String(r.body).slice(0, 200));
    check((await wechatRequests(ent1)).length === before1 + 1 && (await wechatRequests(ent2)).length === before2, 'the unbound messages changed no request');
  }
  // refusals change nothing
  {
    const hBefore = (await history(ent1, reqId)).length;
    let r = await callback(textXml('oENT1_zhang', '7100000000000000006', '伪造'), { forge: true });
    check(r.status === 401, 'a forged signature: 401', `${r.status}`);
    r = await callback(textXml('oENT1_zhang', '7100000000000000007', '过期'), { ts: now() - 3600 });
    check(r.status === 401, 'a stale timestamp: 401', `${r.status}`);
    // the one well-signed message in this block, so the count below proves the others did nothing
    r = await callback(textXml('oENT1_zhang', '7100000000000000008', '再补充一句'), { safe: true });
    check(r.status === 200 && r.headers['x-parkline-wechat-result'] === 'appended', 'a well-signed safe-mode message in between is appended', `${r.status}`);
    const ts = now(), nonce = 'n9', enc = encrypt(textXml('oENT1_zhang', '7100000000000000009', '错签名'));
    const q = new URLSearchParams({ signature: sign(TOKEN, ts, nonce), timestamp: String(ts), nonce, encrypt_type: 'aes', msg_signature: sign(TOKEN, ts, nonce, 'other') });
    r = await request('POST', `/api/v1/desk/inbound/wechat?${q}`, { raw: `<xml><ToUserName>${GH}</ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`, headers: { 'Content-Type': 'text/xml' } });
    check(r.status === 401, 'safe mode with a wrong msg_signature: 401', `${r.status}`);
    r = await callback('<xml><ToUserName>broken', {});
    check(r.status === 400, 'a body that is not XML: 400', `${r.status}`);
    const h = await history(ent1, reqId);
    check(h.length === hBefore + 1, 'of the refused and accepted messages, only the accepted one added a note', `${hBefore} -> ${h.length}`);
  }
  check(slowest < 5000, `every callback answered within WeChat's 5 s (slowest ${slowest.toFixed(1)} ms)`);
} catch (e) {
  check(false, 'wechat test ran to the end', String(e && e.stack || e));
} finally {
  d.child.kill('SIGTERM');
  const e = await d.exited;
  // a clean exit: under ASan a leak or error report makes it non-zero
  const log = fs.readFileSync(path.join(dir, 'serve.log'), 'utf8');
  check(e.code === 0 && !/ERROR: AddressSanitizer|runtime error:/.test(log), 'the daemon stopped cleanly',
    `${JSON.stringify(e)} ${log.slice(-2000)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`RESULT ${results.pass} ${results.fail}`);
process.exit(results.fail ? 1 : 0);
