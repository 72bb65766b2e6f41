// latency.mjs - publish-to-browser latency through the SSE stream, for
// bench/line/run.sh: logs in as admin, opens /api/v1/live, runs
// `bench_line pace` (the demo filling line's edge node at 10 NDATA/s with
// each point's timestamp = the moment it is published) and, for every
// "line" tile whose newest point time advanced, takes arrival - that time.
// Same machine, same clock. Prints p50 / p99 / max over the run.
// usage: node latency.mjs BASE_URL MQTT_URL BENCH_BIN SECONDS
import { spawn } from 'node:child_process'

const [base, mqtt, bin, secs] = process.argv.slice(2)
const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'parkline-demo' }) })
if (r.status !== 200) { console.log(`latency: login failed (${r.status})`); process.exit(1) }
const cookie = r.headers.get('set-cookie').split(';')[0]
const ac = new AbortController()
const res = await fetch(`${base}/api/v1/live`, { headers: { Cookie: cookie }, signal: ac.signal })
const rd = res.body.getReader()
const dec = new TextDecoder()
const lat = []
let last = 0, buf = ''
const reading = (async () => {
  try {
    for (;;) {
      const { value, done } = await rd.read()
      if (done) break
      buf += dec.decode(value, { stream: true })
      let i
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i); buf = buf.slice(i + 2)
        if (!/^event: line$/m.test(block)) continue
        const d = JSON.parse(/^data: (.*)$/m.exec(block)[1])
        const t = Date.parse(d.t)
        if (d.name.startsWith('灌装线') && t > last) { lat.push(Date.now() - t); last = t }
      }
    }
  } catch { /* aborted */ }
})()
const p = spawn(bin, ['pace', mqtt, 'taiji', 'fill-1', '10', secs], { stdio: 'inherit' })
await new Promise((resolve) => p.on('exit', resolve))
await new Promise((resolve) => setTimeout(resolve, 1000)) // the last flush
ac.abort()
await reading
lat.sort((a, b) => a - b)
const q = (x) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))]
console.log(lat.length ? `publish-to-browser (SSE): ${lat.length} tiles, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat[lat.length - 1]} ms` : 'publish-to-browser: no tiles seen')
