// RedisMap's `reads` option on a real Redis Cluster (3 primaries + 3 replicas, started
// here), with each client library set up to read from replicas (node-redis useReplicas,
// ioredis scaleReads 'slave'): with reads: 'replica' the plain reads are served by replicas
// (their INFO commandstats count the read-only scripts) and give the right answers, expired
// entries included; by default, and for writes, conditional calls and iteration in either
// mode, no replica runs a RedisMap script. While a slot moves, a replica of its old primary
// answers absent for the entries already moved (Redis 7.0). A client that would not send
// reads to replicas is refused.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createClient, createCluster } from 'redis'
import { Cluster, Redis } from 'ioredis'
import { RedisMap } from '../../src/redis/index.js'
import { replicasReady, startCluster, type RedisCluster, type RedisServer } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connectCluster } from './clients.js'
import { clusterNodes, commandCalls, ownerOf, slotMove, slotOf, type ClusterNode } from './slots.js'
import { bucketKeys } from '../../src/redis/layout.js'

let cluster: RedisCluster
let primaries: RedisServer[]
let replicas: RedisServer[]
before(async () => {
  cluster = await startCluster()
  await replicasReady(cluster)
  const nodes = await clusterNodes(cluster)
  primaries = nodes.filter((n) => n.primary).map((n) => n.server)
  replicas = nodes.filter((n) => !n.primary).map((n) => n.server)
})
after(async () => {
  await cluster.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const codeOf = (err: unknown) => (err as { code?: unknown }).code

/** Script calls (EVAL, EVALSHA and their _RO forms) on these nodes since the last resetStats(). */
async function scriptCalls(nodes: readonly RedisServer[]): Promise<{ readOnly: number; other: number }> {
  const counts = await Promise.all(nodes.map(commandCalls))
  const sum = (names: readonly string[]) => counts.reduce((total, calls) => total + names.reduce((t, name) => t + (calls.get(name) ?? 0), 0), 0)
  return { readOnly: sum(['evalsha_ro', 'eval_ro']), other: sum(['evalsha', 'eval']) }
}

async function resetStats(): Promise<void> {
  await Promise.all(cluster.nodes.map((n) => n.cli(['config', 'resetstat'])))
}

/** Every read operation of the `reads` option, checked against what was written. */
async function readAll(map: RedisMap<string, number>, keys: readonly string[]): Promise<void> {
  for (const [i, key] of keys.slice(0, 20).entries()) {
    assert.equal(await map.get(key), i)
    assert.equal(await map.has(key), true)
    assert.equal((await map.getVersioned(key))?.value, i)
    assert.equal(await map.ttlOf(key), Infinity)
  }
  assert.deepEqual(await map.getMany(keys), keys.map((_, i) => i))
  assert.equal(await map.size(), keys.length)
  assert.equal((await map.snapshot()).size, keys.length)
}

/** Resolves once every key reads back through map (the replicas caught up), bounded. */
async function replicated(map: RedisMap<string, number>, keys: readonly string[]): Promise<void> {
  for (let waited = 0; (await map.getMany(keys)).some((v, i) => v !== i); waited += 20) {
    assert.ok(waited < 5000, 'the replicas caught up within 5 s')
    await sleep(20)
  }
}

for (const kind of CLIENT_KINDS) {
  test(`reads: 'replica' (${kind}): the plain reads run on replicas, right; everything else, and default reads, on primaries`, { timeout: 60_000 }, async (t) => {
    const conn = await connectCluster(kind, cluster, { replicas: true })
    try {
      const name = `replica-reads-${kind}`
      const fromReplicas = new RedisMap<string, number>({ client: conn.client, name, buckets: 8, reads: 'replica' })
      const fromPrimaries = new RedisMap<string, number>({ client: conn.client, name, buckets: 8 })
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
      await fromPrimaries.setMany(keys.map((k, i) => [k, i]))
      await replicated(fromReplicas, keys)

      await resetStats()
      await readAll(fromReplicas, keys)
      const onReplicas = await scriptCalls(replicas)
      const onPrimaries = await scriptCalls(primaries)
      assert.ok(onReplicas.readOnly > 0, `replicas ran the reads (read-only scripts on replicas: ${onReplicas.readOnly}, on primaries: ${onPrimaries.readOnly})`)
      assert.equal(onReplicas.other, 0)
      // ioredis 'slave' sends every read to a replica; node-redis useReplicas takes the primary in turn with them.
      if (kind === 'ioredis') assert.equal(onPrimaries.readOnly, 0)
      t.diagnostic(`read-only scripts: ${onReplicas.readOnly} on replicas, ${onPrimaries.readOnly} on primaries`)

      await resetStats()
      await readAll(fromPrimaries, keys)
      assert.deepEqual(await scriptCalls(replicas), { readOnly: 0, other: 0 }, 'a default read ran on a replica')

      await resetStats()
      await fromReplicas.set('w', 1)
      assert.equal(await fromReplicas.update('w', (n) => (n ?? 0) + 1), 2)
      assert.equal((await fromReplicas.loadOrStore('w', 5)).value, 2)
      assert.equal(await fromReplicas.compareAndSwap('w', 2, 3), true)
      assert.equal((await fromReplicas.swap('w', 4)).previous, 3)
      assert.equal(await fromReplicas.getOrCompute('g', () => 7), 7)
      assert.equal((await fromReplicas.loadAndDelete('g')).value, 7)
      let iterated = 0
      for await (const _ of fromReplicas.keys()) iterated++
      assert.equal(iterated, keys.length + 1)
      assert.deepEqual(await scriptCalls(replicas), { readOnly: 0, other: 0 }, 'a write, conditional call or iteration ran on a replica')
      assert.ok((await scriptCalls(primaries)).other > 0)
    } finally {
      await conn.close()
    }
  })
}

test("reads: 'replica': an expired entry is absent to the read-only scripts (emulated TTL: which leave it stored)", { timeout: 30_000 }, async () => {
  const conn = await connectCluster('ioredis', cluster, { replicas: true })
  try {
    const map = new RedisMap<string, number>({ client: conn.client, name: 'replica-expiry', buckets: 1, reads: 'replica' })
    await map.set('kept', 1)
    await map.set('gone', 2, { ttl: 100 })
    for (let waited = 0; (await map.get('kept')) !== 1; waited += 20) {
      assert.ok(waited < 5000, 'the replica caught up within 5 s')
      await sleep(20)
    }
    await sleep(150)
    await resetStats()
    assert.equal(await map.get('gone'), undefined)
    assert.equal(await map.has('gone'), false)
    assert.equal(await map.ttlOf('gone'), undefined)
    assert.equal(await map.getVersioned('gone'), undefined)
    assert.equal(await map.size(), 1)
    assert.deepEqual([...(await map.snapshot())], [['kept', 1]])
    // Six reads, each EVALSHA_RO (and EVAL_RO where the replica lacked the script), all on replicas.
    assert.ok((await scriptCalls(replicas)).readOnly >= 6)
    assert.equal((await scriptCalls(primaries)).readOnly, 0)
    // Emulated, the field stays until a primary script meets it (natively, the server reclaims it).
    if ((await map.ttlScheme()) === 'emulated') {
      const data = bucketKeys('replica-expiry', 0).data
      const primary = ownerOf(await clusterNodes(cluster), await slotOf(cluster, data)).server
      assert.equal((await primary.cli(['hlen', data])).trim(), '2', 'the expired field is still stored, for the primary to delete')
    }
  } finally {
    await conn.close()
  }
})

test("reads: 'replica' while a slot moves: the old primary's replica answers absent for the entries already moved (what the README warns of)", { timeout: 30_000 }, async (t) => {
  // Shown on Redis 7.0 (CI's); Valkey 8.0 made replicas answer ASK during a move.
  const version = /redis_version:(\S+)/.exec(await (replicas[0] as RedisServer).cli(['info', 'server']))?.[1] ?? ''
  if (!version.startsWith('7.0.')) return t.skip(`shown on Redis 7.0; this server is ${version}`)
  const conn = await connectCluster('ioredis', cluster, { replicas: true })
  try {
    const name = 'replica-moving'
    const fromReplicas = new RedisMap<string, number>({ client: conn.client, name, buckets: 1, reads: 'replica' })
    const fromPrimaries = new RedisMap<string, number>({ client: conn.client, name, buckets: 1 })
    await fromPrimaries.set('a', 1)
    for (let waited = 0; (await fromReplicas.get('a')) !== 1; waited += 20) {
      assert.ok(waited < 5000, 'the replica caught up within 5 s')
      await sleep(20)
    }
    const bucket = bucketKeys(name, 0)
    const nodes = await clusterNodes(cluster)
    const slot = await slotOf(cluster, bucket.data)
    const source = ownerOf(nodes, slot)
    const move = slotMove(nodes, slot, source, nodes.find((n) => n.primary && n !== source) as ClusterNode)
    await move.open()
    await move.migrate([bucket.data, bucket.versions])
    // The source's replica applies the source's deletes; before Valkey 8.0 it knows nothing of the move.
    for (let waited = 0; (await fromReplicas.get('a')) !== undefined; waited += 20) {
      assert.ok(waited < 5000, 'the replica answered absent within 5 s')
      await sleep(20)
    }
    assert.equal(await fromReplicas.size(), 0)
    await move.close()
    assert.equal(await fromPrimaries.get('a'), 1)
  } finally {
    await conn.close()
  }
})

test("reads: 'replica' is refused with a client that would send reads to primaries; reads takes 'primary' or 'replica'", async () => {
  const refused = (err: unknown) => codeOf(err) === 'ERR_INVALID_ARGUMENT'
  const standalone = createClient({ url: 'redis://127.0.0.1:1' })
  const io = new Redis({ port: 1, lazyConnect: true, autoResendUnfulfilledCommands: false })
  const nodeCluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] })
  const ioCluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, retryDelayOnFailover: 0, redisOptions: { autoResendUnfulfilledCommands: false } })
  const ioReplicas = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, retryDelayOnFailover: 0, scaleReads: 'slave', redisOptions: { autoResendUnfulfilledCommands: false } })
  try {
    for (const client of [standalone, io, nodeCluster, ioCluster]) assert.throws(() => new RedisMap({ client, name: 'm', reads: 'replica' }), refused)
    assert.throws(() => new RedisMap({ client: ioReplicas, name: 'm', reads: 'replicas' as 'replica' }), refused)
    assert.equal(new RedisMap({ client: ioReplicas, name: 'm', reads: 'replica' }).name, 'm')
    assert.equal(new RedisMap({ client: ioCluster, name: 'm', reads: 'primary' }).name, 'm')
  } finally {
    io.disconnect()
    ioCluster.disconnect()
    ioReplicas.disconnect()
  }
})
