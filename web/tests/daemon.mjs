// daemon.mjs - starts a real `parkline serve --demo` for the browser tests
// and stops it again.
//
// Each call gets a free loopback port, a fresh temp dir holding the SQLite
// database and the daemon's log, and serves web/dist. Readiness is "GET
// /healthz answers 200": the helper polls it until then (bounded by
// READY_TIMEOUT_MS), failing at once if the daemon exits. stop() sends
// SIGTERM (the daemon drains and exits 0), falls back to SIGKILL after
// STOP_TIMEOUT_MS, and removes the temp dir unless the test failed and
// PARKLINE_KEEP_TMP is set.
//
// PARKLINE_WEB_URL=http://127.0.0.1:PORT skips all of this and tests a
// daemon that is already running (handy while developing the UI).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const READY_TIMEOUT_MS = 90000
const STOP_TIMEOUT_MS = 10000
const POLL_MS = 50

// A port the kernel just handed out and released: free unless another
// process grabs it in between, in which case the daemon fails to bind and
// start() reports its log.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function waitExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => { clearTimeout(timer); resolve(true) })
  })
}

// args: extra `serve` arguments (e.g. ['--mqtt', url] for the control room).
export async function startDaemon({ args = [] } = {}) {
  if (process.env.PARKLINE_WEB_URL) {
    return { url: process.env.PARKLINE_WEB_URL.replace(/\/$/, ''), log: () => '', stop: async () => {} }
  }
  const bin = path.join(REPO, process.env.BUILD || 'build', 'parkline')
  const webRoot = path.join(REPO, 'web', 'dist')
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run make first`)
  if (!fs.existsSync(path.join(webRoot, 'index.html'))) throw new Error(`${webRoot} is missing: run scripts/web-build.sh`)

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parkline-web-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const logPath = path.join(tmp, 'daemon.log')
  const logFd = fs.openSync(logPath, 'a')
  const child = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`,
    '--db', path.join(tmp, 'park.db'), '--web-root', webRoot, ...args], {
    cwd: tmp,
    // the desk's working calendar lives in the repository, not in cwd
    env: { ...process.env, PARKLINE_CALENDAR_DIR: path.join(REPO, 'data/calendar') },
    stdio: ['ignore', logFd, logFd],
  })
  fs.closeSync(logFd)
  const log = () => { try { return fs.readFileSync(logPath, 'utf8') } catch { return '' } }

  let exited = null
  child.on('exit', (code, signal) => { exited = { code, signal } })

  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (exited) throw new Error(`parkline serve exited (${JSON.stringify(exited)}) before it was ready:\n${log()}`)
    try {
      const res = await fetch(`${url}/healthz`)
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`parkline serve not ready after ${READY_TIMEOUT_MS} ms:\n${log()}`)
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }

  async function stop({ keep = false } = {}) {
    if (!exited) {
      child.kill('SIGTERM')
      if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL')
        await waitExit(child, STOP_TIMEOUT_MS)
      }
    }
    if (keep) process.stderr.write(`daemon temp dir kept: ${tmp}\n`)
    else fs.rmSync(tmp, { recursive: true, force: true })
    return exited
  }

  return { url, log, stop }
}
