// notify-fake.mjs - a fake of the providers the desk notifies through
// (docs/notify.md): Aliyun SMS (RPC,
// HMAC-SHA1 signature), Tencent Cloud SMS (TC3-HMAC-SHA256), the WeChat
// access-token and template-message API, and a generic webhook (HMAC-SHA256
// header). Each signature is VERIFIED here with an implementation written
// from the providers' documents independently of src/desk/sms.c, and each
// delivery is counted per idempotency key (Aliyun OutId, Tencent
// SessionContext, WeChat client_msg_id, webhook Idempotency-Key): the first
// request with a key delivers, a repeat is answered as success but not
// delivered again - as the real providers (and our exactly-once claim)
// need.
//
// Usage: node tests/fakes/notify-fake.mjs [--port N] [--delay-ms N]
//          [--fail-first N]
// Prints "notify-fake: listening on PORT" once ready. --delay-ms slows every
// send (the crash test kills the daemon mid-send); --fail-first answers the
// first N attempts of every key with 503 (retry tests). GET /_stats returns
// {delivered:{key:1}, attempts:{key:n}, rejected:n, by_provider:{...}};
// POST /_config {"delay_ms":n,"fail_first":n,"kill_pid":p,"kill_after":k}
// changes the knobs; with kill_pid, the fake kill -9s that process when the
// k-th new message is delivered, BEFORE answering it: the crash test's
// worst case, a message the provider has but the sender never heard of.
// Secrets are fixed test values (see SECRETS). Node 18+, standard library.
import http from 'node:http';
import crypto from 'node:crypto';

const SECRETS = {
  aliyunKeyId: 'testId', aliyunSecret: 'testSecret',
  tencentId: 'AKIDtest', tencentKey: 'tencentTestKey',
  wechatAppId: 'wxtestappid', wechatSecret: 'wechatTestSecret',
  webhook: 'webhookTestSecret',
};

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
let delayMs = opt('--delay-ms', 0);
let failFirst = opt('--fail-first', 0);
let killPid = 0, killAfter = 0;
const port = opt('--port', 0);

const delivered = new Map(); // key -> provider
const attempts = new Map();  // key -> n
let rejected = 0;
const token = crypto.randomBytes(16).toString('hex');

// Aliyun's percent-encoding: RFC 3986, space %20, '*' %2A, '~' kept.
const aliEnc = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
  (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function aliyunOk(params) {
  if (params.get('AccessKeyId') !== SECRETS.aliyunKeyId) return false;
  const sig = params.get('Signature');
  const keys = [...params.keys()].filter((k) => k !== 'Signature').sort();
  const canon = keys.map((k) => `${aliEnc(k)}=${aliEnc(params.get(k))}`).join('&');
  const sts = `POST&${aliEnc('/')}&${aliEnc(canon)}`;
  const want = crypto.createHmac('sha1', `${SECRETS.aliyunSecret}&`).update(sts).digest('base64');
  return sig && sig.length === want.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want));
}

function tc3Ok(req, body) {
  const auth = req.headers.authorization || '';
  const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== SECRETS.tencentId) return false;
  const ts = Number(req.headers['x-tc-timestamp']);
  const date = new Date(ts * 1000).toISOString().slice(0, 10);
  if (date !== m[2] || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
  const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();
  const canon = ['POST', '/', '', `content-type:${req.headers['content-type']}`,
    `host:${req.headers.host}`, '', 'content-type;host', sha(body)].join('\n');
  const sts = ['TC3-HMAC-SHA256', String(ts), `${date}/${m[3]}/tc3_request`, sha(canon)].join('\n');
  const k = hmac(hmac(hmac(`TC3${SECRETS.tencentKey}`, date), m[3]), 'tc3_request');
  return crypto.createHmac('sha256', k).update(sts).digest('hex') === m[4];
}

function hmacOk(secret, body, header) {
  const want = 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
  return typeof header === 'string' && header.length === want.length &&
    crypto.timingSafeEqual(Buffer.from(header), Buffer.from(want));
}

// Counts an attempt for key; returns 'fail' (injected 503), 'dup' or 'new'.
function deliver(key, provider) {
  const n = (attempts.get(key) || 0) + 1;
  attempts.set(key, n);
  if (n <= failFirst) return 'fail';
  if (delivered.has(key)) return 'dup';
  delivered.set(key, provider);
  return 'new';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function reply(res, status, obj) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    if (path === '/_stats') {
      return reply(res, 200, { delivered: Object.fromEntries(delivered),
        attempts: Object.fromEntries(attempts), rejected });
    }
    if (path === '/_config' && req.method === 'POST') {
      const c = JSON.parse(body || '{}');
      if (c.delay_ms !== undefined) delayMs = c.delay_ms;
      if (c.fail_first !== undefined) failFirst = c.fail_first;
      if (c.kill_pid !== undefined) { killPid = c.kill_pid; killAfter = c.kill_after || 1; }
      return reply(res, 200, { delay_ms: delayMs, fail_first: failFirst });
    }
    if (path === '/wechat/cgi-bin/token') {
      if (url.searchParams.get('appid') !== SECRETS.wechatAppId ||
          url.searchParams.get('secret') !== SECRETS.wechatSecret) {
        rejected++;
        return reply(res, 200, { errcode: 40125, errmsg: 'invalid appsecret' });
      }
      return reply(res, 200, { access_token: token, expires_in: 7200 });
    }
    if (delayMs) await sleep(delayMs);
    let key, provider, ok;
    if (path === '/aliyun/') {
      const params = new URLSearchParams(body);
      ok = aliyunOk(params);
      key = params.get('OutId');
      provider = 'aliyun';
      if (ok && !/^\+?\d{8,15}$/.test(params.get('PhoneNumbers') || '')) ok = false;
    } else if (path === '/tencent/') {
      ok = tc3Ok(req, body);
      const j = ok ? JSON.parse(body) : {};
      key = j.SessionContext;
      provider = 'tencent';
    } else if (path === '/wechat/cgi-bin/message/template/send') {
      ok = url.searchParams.get('access_token') === token;
      const j = ok ? JSON.parse(body) : {};
      key = j.client_msg_id;
      provider = 'wechat';
      if (!ok) { rejected++; return reply(res, 200, { errcode: 40001, errmsg: 'invalid credential' }); }
    } else if (path === '/webhook') {
      ok = hmacOk(SECRETS.webhook, body, req.headers['x-parkline-signature']);
      key = req.headers['idempotency-key'];
      provider = 'webhook';
    } else {
      return reply(res, 404, { error: 'no such fake endpoint' });
    }
    if (!ok || !key) {
      rejected++;
      return reply(res, 400, { Code: 'SignatureDoesNotMatch', Response: { Error: { Code: 'AuthFailure.SignatureFailure' } } });
    }
    const d = deliver(key, provider);
    if (d === 'fail') return reply(res, 503, { Code: 'ServiceUnavailable' });
    if (d === 'new' && killPid && delivered.size >= killAfter) {
      try { process.kill(killPid, 'SIGKILL'); } catch { /* already gone */ }
      console.error(`notify-fake: killed ${killPid} at delivery ${delivered.size} (${key})`);
      killPid = 0;
    }
    const id = crypto.createHash('sha1').update(key).digest('hex').slice(0, 16);
    if (provider === 'aliyun') return reply(res, 200, { Code: 'OK', BizId: id, RequestId: id });
    if (provider === 'tencent') return reply(res, 200, { Response: { SendStatusSet: [{ Code: 'Ok', SerialNo: id }], RequestId: id } });
    if (provider === 'wechat') return reply(res, 200, { errcode: 0, errmsg: 'ok', msgid: parseInt(id.slice(0, 12), 16) });
    return reply(res, 200, { ok: true });
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`notify-fake: listening on ${server.address().port}`);
});
// exit at once: server.close() would wait for idle keep-alive connections
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
