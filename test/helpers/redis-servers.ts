// Real redis-server processes for the tests: each on free loopback ports (never 6379; the
// port and its cluster bus port + 10000 are probed free in 20000-29999), in its own temp dir,
// with no persistence. Every wait is bounded; stop() ends the process (SIGTERM, then SIGKILL)
// and removes its dir, and an exit hook kills whatever a crashed test left running.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ping, portFree, terminate } from '../../src/bench/redis-server.js'

const HOST = '127.0.0.1'
const START_MS = 10_000
const CLUSTER_MS = 30_000
/** The redis-server binary: CONMAP_REDIS_SERVER (e.g. a source build with HPEXPIRE), else the one on PATH. */
export const REDIS_SERVER = process.env.CONMAP_REDIS_SERVER || 'redis-server'

export interface RedisServer {
  readonly host: string
  readonly port: number
  readonly url: string
  readonly process: ChildProcess
  /** redis-cli against this server; resolves with its stdout. */
  cli(args: readonly string[]): Promise<string>
  stop(): Promise<void>
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[]
  /** host:port of every node, for the clients' root nodes. */
  readonly addresses: readonly { readonly host: string; readonly port: number }[]
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000)
    if ((await portFree(port)) && (await portFree(port + 10000))) return port
  }
  throw new Error('no free port pair found in 20000-29999')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function redisCli(port: number, args: readonly string[], password?: string): Promise<string> {
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning']
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', HOST, '-p', String(port), ...auth, ...args], { timeout: CLUSTER_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')}: ${err.message} ${stderr}`))
      else resolve(stdout)
    })
  })
}

async function launch(port: number, extra: readonly string[], binary: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'conmap-redis-'))
  const args = ['--bind', HOST, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes', '--enable-debug-command', 'yes', '--daemonize', 'no', ...extra]
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output = (output + s).slice(-4000)))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output = (output + s).slice(-4000)))
  const stop = async () => {
    await terminate(child)
    running.delete(child)
    rmSync(dir, { recursive: true, force: true })
  }
  const password = passwordIn(extra)
  const server: RedisServer = { host: HOST, port, url: `redis://${HOST}:${port}`, process: child, cli: (a) => redisCli(port, a, password), stop }
  const deadline = Date.now() + START_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    if (await ping(port)) return server
    await sleep(50)
  }
  await stop()
  throw new Error(`redis-server on port ${port} did not answer PING within ${START_MS} ms: ${output}`)
}

function passwordIn(args: readonly string[]): string | undefined {
  const at = args.indexOf('--requirepass')
  return at < 0 ? undefined : args[at + 1]
}

/**
 * A standalone redis-server; extra arguments go to its command line (e.g. ['--requirepass', 'pw']),
 * binary is the server to run.
 */
export async function startRedis(extra: readonly string[] = [], binary = REDIS_SERVER): Promise<RedisServer> {
  let last: unknown
  // Another process may take a probed port before redis binds it: try a few pairs.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await launch(await freePort(), extra, binary)
    } catch (err) {
      last = err
    }
  }
  throw last
}

/**
 * A Redis Cluster of `primaries` primaries with one replica each, formed with
 * `redis-cli --cluster create --cluster-replicas 1 --cluster-yes`, returned once every
 * node reports cluster_state:ok and knows every other node. Node i runs binaryOf(i); the
 * first `primaries` nodes are the primaries (redis-cli makes the first of its list primaries).
 */
export async function startCluster(primaries = 3, binaryOf: (node: number) => string = () => REDIS_SERVER): Promise<RedisCluster> {
  const nodes: RedisServer[] = []
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  }
  try {
    for (let i = 0; i < primaries * 2; i++) {
      nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000'], binaryOf(i)))
    }
    const first = nodes[0] as RedisServer
    await first.cli(['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'])
    const deadline = Date.now() + CLUSTER_MS
    for (const node of nodes) {
      for (;;) {
        const info = await node.cli(['cluster', 'info'])
        const known = /cluster_known_nodes:(\d+)/.exec(info)?.[1]
        if (info.includes('cluster_state:ok') && Number(known) === nodes.length) break
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} not ok within ${CLUSTER_MS} ms: ${info}`)
        await sleep(100)
      }
    }
    return { nodes, addresses: nodes.map((n) => ({ host: n.host, port: n.port })), stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * Resolves once every replica of cluster has synced with its primary and every node lists
 * it in CLUSTER SLOTS (Redis leaves out a replica whose replication offset is still 0, so
 * a client connected before then sees no replica). Two waits are cut short here: the first
 * sync waits out the primaries' repl-diskless-sync-delay (5 s), and on an idle primary the
 * offset first moves with its replication PING, every repl-ping-replica-period (10 s).
 */
export async function replicasReady(cluster: RedisCluster): Promise<void> {
  await Promise.all(cluster.nodes.map((n) => n.cli(['config', 'set', 'repl-diskless-sync-delay', '0', 'repl-ping-replica-period', '1'])))
  const shards = cluster.nodes.length / 2
  const deadline = Date.now() + CLUSTER_MS
  for (const node of cluster.nodes) {
    for (;;) {
      // CLUSTER SLOTS, one line per field: a shard's replica adds host, port and id after its primary's.
      const listed = (await node.cli(['cluster', 'slots'])).trim().split('\n').filter((line) => line === HOST).length
      const link = /master_link_status:(\w+)/.exec(await node.cli(['info', 'replication']))?.[1]
      if (listed >= shards * 2 && (link === undefined || link === 'up')) break
      if (Date.now() > deadline) throw new Error(`cluster node ${node.port}: replicas not synced and listed within ${CLUSTER_MS} ms`)
      await sleep(50)
    }
  }
}
