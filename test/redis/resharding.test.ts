// RedisMap while a real Redis Cluster (3 primaries + 3 replicas, started here) moves the
// slots of its buckets, with each client library: the slots move as redis-cli --cluster
// reshard moves them (test/redis/slots.ts), under load, so the clients get ASK during a
// move and MOVED after it; the bucket scripts, whose three keys are split between the two
// nodes for part of a move, get TRYAGAIN, which RedisMap sends again until its timeout and
// then reports as ERR_REDIS_UNAVAILABLE (nothing happened). Every call succeeds or fails
// with a documented code, every acknowledged write is read back after, and the server's
// error counters prove the redirections happened. Last, an ioredis Cluster that lost a
// node connection with a write in flight does not send it again.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { RedisMap } from '../../src/redis/index.js'
import { bucketKeys, bucketOf, escapeName } from '../../src/redis/layout.js'
import { startCluster, type RedisCluster } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connectCluster, type ClientKind } from './clients.js'
import { clusterNodes, errorCounts, ownerOf, slotMove, slotOf, commandCalls, type ClusterNode } from './slots.js'

let cluster: RedisCluster
before(async () => {
  cluster = await startCluster()
})
after(async () => {
  await cluster.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const codeOf = (err: unknown) => (err as { code?: unknown }).code
const DOCUMENTED = new Set(['ERR_REDIS_INDETERMINATE', 'ERR_REDIS_UNAVAILABLE'])

/** What a key holds as far as its one writer knows: a value, or, after an indeterminate write, one of two. */
interface Known {
  value: number | undefined
  /** Set after an ERR_REDIS_INDETERMINATE write: the key may hold either, now or later; its writer leaves it alone. */
  either?: readonly (number | undefined)[]
}

/**
 * Four tasks, each the only writer of its own keys, doing set / delete / update / get on
 * them until stop(); each keeps the model of its keys from its acknowledged calls and
 * checks every read against it.
 */
function load(map: RedisMap<string, number>, keys: readonly string[]) {
  const model = new Map<string, Known>(keys.map((k) => [k, { value: undefined }]))
  const counts = { acked: 0, readsChecked: 0, failed: new Map<string, number>(), undocumented: [] as string[] }
  let running = true
  let state = 7
  const random = (n: number) => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 16) % n
  const tasks = Array.from({ length: 4 }, async (_, w) => {
    const mine = keys.filter((_, i) => i % 4 === w)
    for (let i = 0; running; i++) {
      const key = mine[i % mine.length] as string
      const known = model.get(key) as Known
      if (known.either !== undefined) {
        await sleep(1)
        continue
      }
      const dice = random(10)
      const next = dice < 3 ? w * 1_000_000 + i : dice < 5 ? undefined : (known.value ?? 0) + 1
      try {
        if (dice < 3) await map.set(key, next as number)
        else if (dice < 5) await map.delete(key)
        else if (dice < 8) await map.update(key, (n) => (n ?? 0) + 1)
        else {
          assert.equal(await map.get(key), known.value, `a read of ${key} missed an acknowledged write`)
          counts.readsChecked++
          counts.acked++
          continue
        }
        known.value = next
        counts.acked++
      } catch (err) {
        const code = codeOf(err)
        if (err instanceof assert.AssertionError) throw err
        if (typeof code !== 'string' || !DOCUMENTED.has(code)) counts.undocumented.push(String(err))
        counts.failed.set(String(code), (counts.failed.get(String(code)) ?? 0) + 1)
        // A write with no reply may land later still; ERR_REDIS_UNAVAILABLE did not run.
        if (code === 'ERR_REDIS_INDETERMINATE' && dice < 8) known.either = [known.value, next]
        await sleep(5)
      }
    }
  })
  return {
    model,
    counts,
    async stop(): Promise<void> {
      running = false
      await Promise.all(tasks)
    },
  }
}

async function redirections(node: ClusterNode, kind: 'ASK' | 'MOVED'): Promise<number> {
  return (await errorCounts(node.server)).get(kind) ?? 0
}

/** Polls check every 20 ms until it holds or ms pass; whether it held. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(20)) {
    if (await check()) return true
  }
  return false
}

/** One anchor key per bucket, stored with a ttl, so that every bucket has all three of its keys (hash, deadline set, versions). */
function anchors(buckets: number): string[] {
  const found = new Map<number, string>()
  for (let i = 0; found.size < buckets; i++) {
    const b = bucketOf(`anchor${i}`, buckets)
    if (!found.has(b)) found.set(b, `anchor${i}`)
  }
  return [...found.values()]
}

for (const kind of CLIENT_KINDS) {
  test(`slots of a map's buckets move under load (${kind}): ASK during, MOVED after, TRYAGAIN sent again; no acknowledged write lost`, { timeout: 60_000 }, async (t) => {
    const conn = await connectCluster(kind, cluster)
    try {
      const name = `resharded-${kind}`
      const buckets = 16
      const map = new RedisMap<string, number>({ client: conn.client, name, buckets, timeout: 5000 })
      const pinned = anchors(buckets)
      await map.setMany(
        pinned.map((k) => [k, -1]),
        { ttl: 3_600_000 },
      )
      const keys = Array.from({ length: 48 }, (_, i) => `k${i}`)
      const nodes = await clusterNodes(cluster)
      const layout = Array.from({ length: buckets }, (_, b) => bucketKeys(escapeName(name), b))
      const slots = await Promise.all(layout.map((bucket) => slotOf(cluster, bucket.data)))
      // Every bucket of the primary that holds bucket 0 moves to another primary.
      const source = ownerOf(nodes, slots[0] as number)
      const target = nodes.find((n) => n.primary && n !== source) as ClusterNode
      const moving = layout.filter((_, b) => ownerOf(nodes, slots[b] as number) === source)
      assert.ok(moving.length > 0)
      await Promise.all([source, target].map((n) => n.server.cli(['config', 'resetstat'])))

      const running = load(map, keys)
      await sleep(200)
      for (const bucket of moving.slice(0, 4)) {
        const move = slotMove(nodes, await slotOf(cluster, bucket.data), source, target)
        await move.open()
        await sleep(50)
        // The hash first, alone: the bucket's keys are split between the nodes (TRYAGAIN).
        await move.migrate([bucket.data])
        await sleep(80)
        const asked = await redirections(source, 'ASK')
        await move.migrate([bucket.versions, bucket.ttl])
        // All on the target, the slot still migrating: the source answers ASK (waited for,
        // bounded, so that a slow machine still sees some; asserted below).
        await until(async () => (await redirections(source, 'ASK')) > asked, 3000)
        await move.close()
      }
      await until(async () => (await redirections(source, 'MOVED')) > 0, 3000)
      await sleep(100)
      await running.stop()

      const { model, counts } = running
      assert.deepEqual(counts.undocumented, [], 'a call failed with no documented code')
      const final = await map.getMany(keys)
      const wrong = keys.filter((k, i) => {
        const known = model.get(k) as Known
        return known.either === undefined ? final[i] !== known.value : !known.either.includes(final[i])
      })
      assert.deepEqual(wrong, [], 'the final state differs from the acknowledged writes')
      const present = new Set([...pinned, ...keys.filter((_, i) => final[i] !== undefined)])
      assert.equal(await map.size(), present.size)
      const iterated: string[] = []
      for await (const key of map.keys()) iterated.push(key)
      assert.equal(iterated.length, new Set(iterated).size, 'iteration yielded a key twice')
      assert.deepEqual(new Set(iterated), present)
      assert.deepEqual(new Set((await map.snapshot()).keys()), present)

      const [atSource, atTarget] = await Promise.all([errorCounts(source.server), errorCounts(target.server)])
      const asks = atSource.get('ASK') ?? 0
      const moved = atSource.get('MOVED') ?? 0
      assert.ok(asks > 0, `the source answered ASK during the moves (errorstats: ${[...atSource]})`)
      assert.ok(moved > 0, `the source answered MOVED after the moves (errorstats: ${[...atSource]})`)
      assert.ok(counts.readsChecked > 0)
      t.diagnostic(
        `${Math.min(4, moving.length)} slots moved; ${counts.acked} calls acknowledged (${counts.readsChecked} reads checked), failed ${JSON.stringify([...counts.failed])}; ` +
          `source ASK ${asks}, MOVED ${moved}, TRYAGAIN ${atSource.get('TRYAGAIN') ?? 0}; target TRYAGAIN ${atTarget.get('TRYAGAIN') ?? 0}, MOVED ${atTarget.get('MOVED') ?? 0}`,
      )
    } finally {
      await conn.close()
    }
  })
}

/** A map of one bucket with no ttl (so no deadline set: the slot's keys are never all on one node while it migrates), its slot opened for a move. */
async function stuckMap(kind: ClientKind, name: string, timeout: number) {
  const conn = await connectCluster(kind, cluster)
  const map = new RedisMap<string, number>({ client: conn.client, name, buckets: 1, timeout })
  await map.set('a', 1)
  const nodes = await clusterNodes(cluster)
  const slot = await slotOf(cluster, bucketKeys(escapeName(name), 0).data)
  const source = ownerOf(nodes, slot)
  const move = slotMove(nodes, slot, source, nodes.find((n) => n.primary && n !== source) as ClusterNode)
  await source.server.cli(['config', 'resetstat'])
  await move.open()
  const bucket = bucketKeys(escapeName(name), 0)
  return { conn, map, source, finish: async () => (await move.migrate([bucket.data, bucket.versions]), await move.close()) }
}

for (const kind of CLIENT_KINDS) {
  test(`a slot held in migration (${kind}): refused calls are sent again; refused past the timeout, ERR_REDIS_UNAVAILABLE and nothing written`, { timeout: 60_000 }, async () => {
    // ioredis follows TRYAGAIN itself for about a second before it gives up: the timeout outlasts that.
    const { conn, map, source, finish } = await stuckMap(kind, `stuck-${kind}`, kind === 'ioredis' ? 2500 : 600)
    try {
      await assert.rejects(map.set('a', 2), (err) => codeOf(err) === 'ERR_REDIS_UNAVAILABLE')
      await assert.rejects(map.get('a'), (err) => codeOf(err) === 'ERR_REDIS_UNAVAILABLE')
      assert.ok(((await errorCounts(source.server)).get('TRYAGAIN') ?? 0) > 0, 'the source answered TRYAGAIN')
      // Still refused when sent, the slot's move ends while RedisMap waits to send again.
      const pending = map.set('a', 3)
      await sleep(200)
      await finish()
      await pending
      assert.equal(await map.get('a'), 3)
      assert.equal(await map.size(), 1)
    } finally {
      await conn.close()
    }
  })
}

test('node-redis giving up on redirections (maxCommandRedirections: 0) is a refusal too: ERR_REDIS_UNAVAILABLE, nothing written', { timeout: 30_000 }, async () => {
  const name = 'redirect-limit'
  const bucket = bucketKeys(name, 0)
  const client = createCluster({ rootNodes: cluster.addresses.map((a) => ({ url: `redis://${a.host}:${a.port}` })), maxCommandRedirections: 0 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const map = new RedisMap<string, number>({ client, name, buckets: 1, timeout: 300 })
    await map.set('a', 1)
    const nodes = await clusterNodes(cluster)
    const slot = await slotOf(cluster, bucket.data)
    const source = ownerOf(nodes, slot)
    const move = slotMove(nodes, slot, source, nodes.find((n) => n.primary && n !== source) as ClusterNode)
    await move.open()
    await move.migrate([bucket.data, bucket.versions])
    // The source has none of the bucket's keys: it answers ASK, which this client will not follow.
    await assert.rejects(map.set('a', 2), (err) => codeOf(err) === 'ERR_REDIS_UNAVAILABLE' && /Too many Cluster redirections/.test(String(err)))
    await move.close()
    const conn = await connectCluster('node-redis', cluster)
    try {
      assert.equal(await new RedisMap<string, number>({ client: conn.client, name, buckets: 1 }).get('a'), 1)
    } finally {
      await conn.close()
    }
  } finally {
    await client.close()
  }
})

test('an ioredis Cluster must not resend: refused without retryDelayOnFailover: 0', () => {
  const client = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, redisOptions: { autoResendUnfulfilledCommands: false } })
  assert.throws(() => new RedisMap({ client, name: 'm' }), (err: unknown) => codeOf(err) === 'ERR_INVALID_ARGUMENT' && /retryDelayOnFailover/.test(String(err)))
  client.disconnect()
})

test('ioredis Cluster: a write in flight on a node connection that is lost is ERR_REDIS_INDETERMINATE and not sent again', { timeout: 30_000 }, async () => {
  const conn = await connectCluster('ioredis', cluster)
  try {
    const name = 'lost-connection'
    const map = new RedisMap<string, number>({ client: conn.client, name, buckets: 1, timeout: 10_000 })
    await map.set('a', 1)
    const owner = ownerOf(await clusterNodes(cluster), await slotOf(cluster, bucketKeys(name, 0).data))
    await owner.server.cli(['config', 'resetstat'])
    // The server holds the write (CLIENT PAUSE WRITE) while the connection carrying it is killed.
    await owner.server.cli(['client', 'pause', '600', 'WRITE'])
    const write = map.set('a', 2).catch((err: unknown) => err)
    await sleep(150)
    await owner.server.cli(['client', 'kill', 'type', 'normal'])
    assert.equal(codeOf(await write), 'ERR_REDIS_INDETERMINATE')
    await sleep(700)
    assert.equal(await map.get('a'), 1, 'the write was sent again after its connection was lost')
    const calls = await commandCalls(owner.server)
    assert.equal((calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0), 1, 'only the read ran')
  } finally {
    await conn.close()
  }
})
