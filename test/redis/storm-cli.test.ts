// `conmap storm --backend redis` end to end: the real CLI in a child process against a
// standalone server and a 3-primary cluster started here, with both client libraries;
// the options it refuses; a server that is down.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { runConmap } from '../helpers/cli.js'
import { startCluster, startRedis, type RedisCluster, type RedisServer } from '../helpers/redis-servers.js'
import { STORM_OPS } from '../../src/storm/index.js'
import { CLIENT_KINDS } from './clients.js'

let server: RedisServer
let cluster: RedisCluster

before(async () => {
  server = await startRedis()
  cluster = await startCluster(3)
})
after(async () => {
  await server?.stop()
  await cluster?.stop()
})

interface Report {
  ok: boolean
  backend: string
  cluster: boolean
  client: string
  map: string
  seed: number
  ops: number
  opsPerSec: number
  opsByType: Record<string, number>
  errors: Record<string, number>
  indeterminate: number
  linearizable: boolean | null
  operationsRecorded: number
  pendingOperations: number
  operationsChecked: number
  keysChecked: number
}

async function storm(args: readonly string[]): Promise<Report> {
  const { code, stdout, stderr } = await runConmap(['storm', '--backend', 'redis', '--workers', '2', '--duration', '1', '--keys', '8', '--check', '--json', ...args])
  assert.equal(code, 0, stderr + stdout)
  return JSON.parse(stdout) as Report
}

function assertConsistent(report: Report, seed: number): void {
  assert.equal(report.ok, true)
  assert.equal(report.backend, 'redis')
  assert.equal(report.seed, seed)
  assert.equal(report.linearizable, true)
  assert.ok(report.ops > 0)
  assert.equal(STORM_OPS.reduce((sum, op) => sum + (report.opsByType[op] ?? 0), 0), report.ops)
  // Every call is recorded and checked, the failed ones as pending.
  assert.equal(report.operationsRecorded, report.ops)
  assert.equal(report.operationsChecked, report.ops)
  const failed = Object.values(report.errors).reduce((sum, n) => sum + n, 0)
  assert.equal(report.pendingOperations, failed)
  assert.equal(report.indeterminate, report.errors['ERR_REDIS_INDETERMINATE'] ?? 0)
  assert.ok(report.keysChecked >= 1 && report.keysChecked <= 8, String(report.keysChecked))
  for (const op of ['get', 'set', 'compareAndSwap', 'update', 'getVersioned', 'setIfVersion']) assert.ok((report.opsByType[op] ?? 0) > 0, op)
}

for (const kind of CLIENT_KINDS) {
  test(`standalone server, ${kind}: linearizable per key, counts add up, the map cleared`, { timeout: 60_000 }, async () => {
    const report = await storm(['--redis-url', server.url, '--client', kind, '--seed', '11'])
    assertConsistent(report, 11)
    assert.equal(report.cluster, false)
    assert.equal(report.client, kind)
    assert.equal(await server.cli(['--scan', '--pattern', `*${report.map.split(':').at(-1) as string}*`]), '', 'nothing of the map is left behind')
  })

  test(`3-primary cluster, ${kind}: linearizable per key, counts add up`, { timeout: 60_000 }, async () => {
    const first = cluster.addresses[0] as { host: string; port: number }
    const report = await storm(['--redis-url', `redis://${first.host}:${first.port}`, '--cluster', '--client', kind, '--seed', '12'])
    assertConsistent(report, 12)
    assert.equal(report.cluster, true)
    const id = report.map.split(':').at(-1) as string
    for (const node of cluster.nodes) assert.equal(await node.cli(['--scan', '--pattern', `*${id}*`]), '', `nothing of the map is left on node ${node.port}`)
  })
}

test('the text report shows ops/s, counts per operation, errors, indeterminate calls and the verdict', { timeout: 60_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['storm', '--backend', 'redis', '--redis-url', server.url, '--workers', '1', '--duration', '0.5', '--check', '--seed', '3'])
  assert.equal(code, 0, stderr + stdout)
  for (const text of ['ops/s', 'seed 3', 'compareAndSwap', 'errors       none', 'indeterminate 0', 'check        linearizable', 'result       PASS']) assert.ok(stdout.includes(text), `${text} in\n${stdout}`)
})

const BAD: ReadonlyArray<readonly [readonly string[], string]> = [
  [['--duration', '1'], '--redis-url is required'],
  [['--redis-url', 'http://127.0.0.1:1'], '--redis-url must be a redis://'],
  [['--redis-url', 'redis://127.0.0.1:1', '--client', 'jedis'], '--client must be one of node-redis, ioredis'],
  [['--redis-url', 'redis://127.0.0.1:1', '--workers', '0'], '--workers must be an integer'],
  [['--redis-url', 'redis://127.0.0.1:1', '--mix', 'get:0'], 'at least one operation'],
  [['--redis-url', 'redis://127.0.0.1:1', '--kill', '2'], '--kill does not apply to --backend redis'],
  [['--redis-url', 'redis://127.0.0.1:1', '--grow'], '--grow does not apply to --backend redis'],
  [['--redis-url', 'redis://127.0.0.1:1', '--concurrency', 'mutex'], '--concurrency does not apply'],
  [['--redis-url', 'redis://127.0.0.1:1', '--shards', '4'], '--shards does not apply'],
  [['--redis-url', 'redis://127.0.0.1:1', '--metrics'], '--metrics does not apply'],
  [['--redis-url', 'redis://127.0.0.1:1', '--stall-reads', '5'], '--stall-reads does not apply'],
]

test('bad options exit 2 naming the option', async () => {
  for (const [args, message] of BAD) {
    const { code, stdout, stderr } = await runConmap(['storm', '--backend', 'redis', ...args])
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    assert.ok(stderr.includes(message), `${args.join(' ')}: ${stderr}`)
    assert.equal(stdout, '')
  }
  const { code, stderr } = await runConmap(['storm', '--backend', 'memcached'])
  assert.equal(code, 2)
  assert.match(stderr, /--backend must be 'shared' or 'redis', got 'memcached'/)
})

test('a server that is down: exit 1 with a clear error, for both clients, standalone and cluster', { timeout: 60_000 }, async () => {
  const port = await freePort()
  for (const kind of CLIENT_KINDS) {
    for (const mode of [[], ['--cluster']]) {
      const { code, stdout, stderr } = await runConmap(['storm', '--backend', 'redis', '--redis-url', `redis://127.0.0.1:${port}`, '--client', kind, '--connect-timeout', '3000', '--duration', '1', ...mode])
      assert.equal(code, 1, stderr)
      assert.match(stderr, new RegExp(`the storm could not run: cannot connect to redis://127.0.0.1:${port}.* with ${kind}`))
      assert.equal(stdout, '')
    }
  }
})

/** A loopback port nothing listens on (taken, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
