/**
 * A throwaway redis-server for the Redis section: loopback only, on a free port in
 * 20000-29999 (never 6379, where a packaged daemon may listen), in a temp dir, with no
 * persistence (no RDB, no AOF), so the bench measures the server's memory path only.
 * Every wait is bounded; stop() sends SIGTERM, then SIGKILL, and removes the dir.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export const LOOPBACK = '127.0.0.1'
const START_MS = 10_000
const STOP_MS = 5_000

export interface BenchRedis {
  readonly port: number
  readonly url: string
  stop(): Promise<void>
}

/** The absolute path of an executable on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/** Whether port can be bound on loopback now (test/helpers/redis-servers.ts shares it). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, LOOPBACK, () => probe.close(() => resolve(true)))
  })
}

async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000)
    if (await portFree(port)) return port
  }
  throw new Error('no free loopback port found in 20000-29999')
}

/** One PING over a raw socket: true on +PONG (or a NOAUTH refusal, which also proves the server is up). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString('latin1'))))
  })
}

/** Resolves true once child has exited, false after ms. */
export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/** SIGTERM, then SIGKILL if child is still there after STOP_MS; resolves once it has exited or the wait ran out. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  if (!(await exited(child, STOP_MS))) {
    child.kill('SIGKILL')
    await exited(child, STOP_MS)
  }
}

async function launch(binary: string, port: number): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'conmap-bench-redis-'))
  const child = spawn(binary, ['--bind', LOOPBACK, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output = (output + s).slice(-2000)))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output = (output + s).slice(-2000)))
  const stop = async () => {
    await terminate(child)
    process.removeListener('exit', kill)
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + START_MS
  while (Date.now() < deadline && child.exitCode === null) {
    if (await ping(port)) return { port, url: `redis://${LOOPBACK}:${port}`, stop }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await stop()
  throw new Error(`redis-server on port ${port} did not answer PING within ${START_MS} ms: ${output}`)
}

/** Starts binary on a free port; another process may take a probed port first, so a few tries. */
export async function startBenchRedis(binary: string): Promise<BenchRedis> {
  let last: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await launch(binary, await freePort())
    } catch (err) {
      last = err
    }
  }
  throw last
}
