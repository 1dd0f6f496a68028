// RedisMap on a real Redis Cluster (3 primaries + 3 replicas, started here): the buckets
// spread one map over every primary; concurrent histories are linearizable per key; a
// manual failover (CLUSTER FAILOVER on a replica) under load loses no acknowledged write
// while the map recovers by itself; a primary killed under load (last: the cluster is not
// used after it) is replaced, the map recovers, and any acknowledged write lost is on that
// primary, counted.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap } from '../../src/redis/index.js'
import { bucketOf } from '../../src/redis/layout.js'
import { checkHistory, formatHistory } from '../../src/check/index.js'
import { recordHistory } from './history.js'
import { startCluster, type RedisCluster, type RedisServer } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connectCluster } from './clients.js'

let cluster: RedisCluster
before(async () => {
  cluster = await startCluster()
})
after(async () => {
  await cluster.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function role(node: RedisServer): Promise<string> {
  return (await node.cli(['role'])).split('\n')[0]?.trim() ?? ''
}

async function primaries(): Promise<RedisServer[]> {
  const roles = await Promise.all(cluster.nodes.map(role))
  return cluster.nodes.filter((_, i) => roles[i] === 'master')
}

test('the buckets spread one map over every primary; each bucket in one slot', { timeout: 30_000 }, async () => {
  const conn = await connectCluster('node-redis', cluster)
  try {
    const map = new RedisMap<string, number>({ client: conn.client, name: 'spread' })
    assert.equal(map.buckets, 64)
    await map.setMany(Array.from({ length: 600 }, (_, i) => [`k${i}`, i]))
    const held = await Promise.all((await primaries()).map(async (node) => (await node.cli(['--scan', '--pattern', 'conmap:{spread:*'])).trim().split('\n').filter(Boolean).length))
    assert.equal(held.length, 3)
    assert.ok(
      held.every((n) => n > 0),
      `bucket hashes per primary: ${held.join(', ')}`,
    )
    // The 64 bucket hashes and their 64 version hashes (the meta hash is conmap:{spread}:meta; no ttl, so no deadline sets).
    assert.equal(
      held.reduce((a, b) => a + b, 0),
      128,
    )
    const first = cluster.nodes[0] as RedisServer
    const [data, ttl, versions] = await Promise.all(['conmap:{spread:7}', 'conmap:{spread:7}:ttl', 'conmap:{spread:7}:ver'].map(async (k) => (await first.cli(['cluster', 'keyslot', k])).trim()))
    assert.equal(data, ttl)
    assert.equal(data, versions)
    assert.equal(await map.size(), 600)
  } finally {
    await conn.close()
  }
})

test('concurrent histories on the healthy cluster (both clients) are linearizable per key', { timeout: 30_000 }, async () => {
  const conns = await Promise.all(CLIENT_KINDS.map((kind) => connectCluster(kind, cluster)))
  try {
    const maps = conns.map((c) => new RedisMap<string, unknown>({ client: c.client, name: 'history', buckets: 4 }))
    const history = await recordHistory(maps, 3, 100, 11)
    const result = checkHistory(history)
    assert.equal(result.linearizable, true, result.failure === undefined ? 'budget ran out' : formatHistory(result.failure.operations))
    assert.equal(result.keysChecked, 4)
  } finally {
    for (const c of conns) await c.close()
  }
})

test('durability: WAIT for the replica of each write; more replicas than exist is reported, not hidden', { timeout: 30_000 }, async () => {
  const conn = await connectCluster('node-redis', cluster)
  try {
    const durable = new RedisMap<string, number>({ client: conn.client, name: 'durable', durability: { replicas: 1, timeout: 5000 } })
    await durable.setMany(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))
    assert.equal(await durable.update('k1', (n) => (n ?? 0) + 1), 2)
    const greedy = new RedisMap<string, number>({ client: conn.client, name: 'durable', durability: { replicas: 2, timeout: 50 } })
    const err = await greedy.set('k1', 7).catch((e: unknown) => e)
    assert.equal((err as { code?: string }).code, 'ERR_REDIS_INDETERMINATE')
    assert.equal((err as { replicas?: number }).replicas, 1)
    assert.equal(await durable.get('k1'), 7)
  } finally {
    await conn.close()
  }
  const io = await connectCluster('ioredis', cluster)
  try {
    assert.throws(() => new RedisMap({ client: io.client, name: 'durable', durability: { replicas: 1, timeout: 100 } }), (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_ARGUMENT')
  } finally {
    await io.close()
  }
})

/** Four tasks incrementing keys with update() until stop(), counting what was acknowledged and what failed. */
function underLoad(map: RedisMap<string, number>, keys: readonly string[]) {
  const acked = new Map(keys.map((k) => [k, 0]))
  const failed = new Map(keys.map((k) => [k, 0]))
  const state = { running: true, counting: false, okSinceMark: 0 }
  const workers = Array.from({ length: 4 }, async (_, w) => {
    for (let i = w; state.running; i += 4) {
      const key = keys[i % keys.length] as string
      try {
        await map.update(key, (n) => (n ?? 0) + 1)
        acked.set(key, (acked.get(key) ?? 0) + 1)
        if (state.counting) state.okSinceMark++
      } catch {
        failed.set(key, (failed.get(key) ?? 0) + 1)
        await sleep(20)
      }
    }
  })
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
  return {
    acked,
    failed,
    /** Resolves once `n` updates succeeded after this call (bounded: the map recovered). */
    async recovered(n: number, ms: number): Promise<void> {
      state.counting = true
      for (let waited = 0; state.okSinceMark < n; waited += 50) {
        assert.ok(waited < ms, `the map recovered: ${state.okSinceMark} updates within ${ms} ms`)
        await sleep(50)
      }
    },
    async stop(): Promise<{ final: (number | undefined)[]; summary: string }> {
      state.running = false
      await Promise.all(workers)
      const final = await map.getMany(keys)
      // Above the acknowledged count only by calls that failed (indeterminate: they may have happened).
      assert.deepEqual(
        keys.filter((k, i) => (final[i] ?? 0) > (acked.get(k) ?? 0) + (failed.get(k) ?? 0)),
        [],
      )
      return { final, summary: `acknowledged ${sum(acked)}, failed (indeterminate or refused) ${sum(failed)}` }
    },
  }
}

/** The primary serving bucket key `data`, its slot ranges, and its replica. */
async function ownerOf(data: string): Promise<{ primary: RedisServer; ranges: string[]; replica: RedisServer }> {
  const first = cluster.nodes[0] as RedisServer
  const nodes = (await first.cli(['cluster', 'nodes'])).trim().split('\n')
  const slot = Number((await first.cli(['cluster', 'keyslot', data])).trim())
  const owner = nodes.find((line) => line.includes('master') && line.split(' ').slice(8).some((range) => inRange(range, slot))) as string
  const replicaLine = nodes.find((line) => line.includes('slave') && line.split(' ')[3] === owner.split(' ')[0]) ?? ''
  const byPort = (line: string) => cluster.nodes.find((n) => n.port === Number(/:(\d+)@/.exec(line)?.[1])) as RedisServer
  return { primary: byPort(owner), ranges: owner.split(' ').slice(8), replica: byPort(replicaLine) }
}

async function promoted(replica: RedisServer, ms: number): Promise<void> {
  for (let waited = 0; (await role(replica)) !== 'master'; waited += 50) {
    assert.ok(waited < ms, `the replica was promoted within ${ms} ms`)
    await sleep(50)
  }
}

/** Whether replica's link to its primary is up (a replica still syncing cannot take over). */
async function linkUp(replica: RedisServer): Promise<boolean> {
  return /master_link_status:up/.test(await replica.cli(['info', 'replication']))
}

/**
 * A coordinated CLUSTER FAILOVER on replica. Redis drops a manual failover it cannot finish
 * within its own 5 s (the replica not caught up with a loaded primary, an election that got
 * no majority), silently: the replica stays a replica. So each attempt waits for the link,
 * then 7 s for the promotion, and a dropped attempt is issued again, at most 4 times.
 */
async function failOver(replica: RedisServer): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    for (let waited = 0; !(await linkUp(replica)); waited += 50) {
      assert.ok(waited < 10_000, 'the replica linked to its primary within 10 s')
      await sleep(50)
    }
    await replica.cli(['cluster', 'failover'])
    try {
      await promoted(replica, 7_000)
      return attempt
    } catch (err) {
      if (attempt === 4) throw err
    }
  }
}

for (const kind of CLIENT_KINDS) {
  test(`CLUSTER FAILOVER under load (${kind}): no acknowledged write lost, the map recovers by itself`, { timeout: 60_000 }, async (t) => {
    const conn = await connectCluster(kind, cluster)
    try {
      const name = `failover-${kind}`
      const map = new RedisMap<string, number>({ client: conn.client, name, timeout: 3000 })
      const keys = Array.from({ length: 24 }, (_, i) => `c${i}`)
      const load = underLoad(map, keys)
      await sleep(300)
      // A replica of the primary that holds bucket 0 takes over, coordinated (no write lost).
      const { replica } = await ownerOf(`conmap:{${name}:0}`)
      const attempts = await failOver(replica)
      await load.recovered(200, 20_000)
      const { final, summary } = await load.stop()
      assert.deepEqual(
        keys.filter((k, i) => (final[i] ?? 0) < (load.acked.get(k) ?? 0)),
        [],
        'an acknowledged increment was lost',
      )
      t.diagnostic(`${summary}, lost 0, failover attempts ${attempts}`)
    } finally {
      await conn.close()
    }
  })
}

test('SIGKILL of a primary under load (node-redis): its replica takes over, the map recovers; losses only on that primary, counted', { timeout: 60_000 }, async (t) => {
  const conn = await connectCluster('node-redis', cluster)
  try {
    const name = 'killed'
    const map = new RedisMap<string, number>({ client: conn.client, name, buckets: 8, timeout: 2000 })
    const keys = Array.from({ length: 32 }, (_, i) => `c${i}`)
    const load = underLoad(map, keys)
    await sleep(300)
    const { primary, ranges, replica } = await ownerOf(`conmap:{${name}:0}`)
    primary.process.kill('SIGKILL')
    await promoted(replica, 20_000)
    await load.recovered(200, 30_000)
    const { final, summary } = await load.stop()
    const first = cluster.nodes[0] as RedisServer
    const onVictim = new Set<string>()
    for (const key of keys) {
      const slot = Number((await first.cli(['cluster', 'keyslot', `conmap:{${name}:${bucketOf(key, 8)}}`])).trim())
      if (ranges.some((range) => inRange(range, slot))) onVictim.add(key)
    }
    const lost = keys.map((k, i) => ({ key: k, lost: Math.max(0, (load.acked.get(k) ?? 0) - (final[i] ?? 0)) })).filter((l) => l.lost > 0)
    assert.deepEqual(
      lost.filter((l) => !onVictim.has(l.key)),
      [],
      'a loss on a primary that did not fail',
    )
    t.diagnostic(`${summary}, acknowledged but lost ${lost.reduce((a, l) => a + l.lost, 0)} (keys on the killed primary: ${onVictim.size} of ${keys.length})`)
  } finally {
    await conn.close()
  }
})

function inRange(range: string, slot: number): boolean {
  const [lo, hi] = range.split('-').map(Number)
  return lo !== undefined && slot >= lo && slot <= (hi ?? lo)
}
