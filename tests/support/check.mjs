// check.mjs - what the process-level tests in tests/crash/ and tests/trace/
// share: the "ok - ..." / "not ok - ..." checks with their tally (printed
// by the caller as "RESULT <passed> <failed>", which tests/support/steps.sh
// reads), a free loopback port, and one HTTP request with node:http that
// resolves {status, headers, body} (body parsed per `parse`) or rejects
// with the socket error (ECONNRESET, ECONNREFUSED... - the crash tests
// count those). Standard library only (Node 18+). Module state is one
// tally per test process, which is what a test script is.
import http from 'node:http';
import net from 'node:net';

export const results = { pass: 0, fail: 0 };

// Counts and prints one check; detail is printed only when it failed.
export function check(ok, what, detail) {
  if (ok) results.pass++; else results.fail++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${!ok && detail ? `: ${detail}` : ''}`);
  return ok;
}

// A port the kernel just handed out and released. Another process could
// take it before the daemon binds; the daemon then fails to start and the
// test says so.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// How a response body is read: 'typed' parses JSON only when the
// Content-Type says so (else the text); 'any' tries JSON on any text (else
// the text); 'nullable' is 'any' with an empty body as null.
function parseBody(res, text, parse) {
  if (parse === 'nullable' && !text) return null;
  if (parse === 'typed' && !((res.headers['content-type'] || '').includes('json') && text)) return text;
  try { return JSON.parse(text); } catch { return text; }
}

// One request to 127.0.0.1:port. to: {port, agent (default: node's),
// timeoutMs, parse}; body (JSON-encoded) or raw (sent as is, Content-Type
// JSON unless headers name one).
export function request(to, method, urlPath, { body, raw, headers = {} } = {}) {
  const { port, agent, timeoutMs = 15000, parse = 'typed' } = to;
  return new Promise((resolve, reject) => {
    const data = raw !== undefined ? Buffer.from(raw) : body === undefined ? null : Buffer.from(JSON.stringify(body));
    const h = { ...headers };
    if (data) { h['Content-Type'] ??= 'application/json'; h['Content-Length'] = data.length; }
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, body: parseBody(res, text, parse) });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}
