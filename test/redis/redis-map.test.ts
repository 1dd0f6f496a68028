// RedisMap on a real standalone redis-server (started here, on a free loopback port), with
// each client library: what is particular to Redis. The map contract itself is
// test/contract.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis, type RedisServer } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connect, type Connected } from './clients.js'
import { Redis } from 'ioredis'

const withCode = (code: string) => (err: unknown) => (err as { code?: string }).code === code

let server: RedisServer
before(async () => {
  server = await startRedis()
})
after(async () => {
  await server.stop()
})

let names = 0
const fresh = (prefix: string) => `${prefix}-${names++}`

async function evalshaCalls(): Promise<number> {
  const stats = await server.cli(['info', 'commandstats'])
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0)
}

for (const kind of CLIENT_KINDS) {
  describe(`RedisMap with ${kind}`, { timeout: 60_000 }, () => {
    let conn: Connected
    let other: Connected
    before(async () => {
      conn = await connect(kind, server)
      other = await connect(kind, server)
    })
    after(async () => {
      await conn.close()
      await other.close()
    })

    test('keys are SameValueZero, as SharedMap: 1, "1" and 1n are three keys; -0 is 0; NaN is NaN; any string round-trips', async () => {
      const map = new RedisMap<string | number | bigint, string>({ client: conn.client, name: fresh('keys') })
      const keys = [1, '1', 1n, 0, NaN, -(2n ** 70n), '', 'a\ud800b', 'ключ', 2 ** 53]
      for (const [i, key] of keys.entries()) await map.set(key, `v${i}`)
      assert.equal(await map.size(), keys.length)
      assert.equal(await map.get(-0), 'v3')
      assert.equal(await map.get(Number('x')), 'v4')
      assert.equal(await map.get(1), 'v0')
      assert.equal(await map.get('1'), 'v1')
      assert.equal(await map.get(1n), 'v2')
      const seen = new Map<unknown, string>()
      for await (const [k, v] of map) seen.set(k, v)
      assert.deepEqual(new Map(keys.map((k, i) => [k, `v${i}`])), seen)
      await assert.rejects(map.get({} as never), withCode('ERR_INVALID_KEY'))
    })

    test('TTL emulation runs on the server: ttlOf counts down, an expired entry is gone from get, size, iteration and the server', async () => {
      const map = new RedisMap<string, number>({ client: conn.client, name: fresh('ttl'), ttlMode: 'emulated' })
      await map.set('short', 1, { ttl: 400 })
      await map.set('long', 2, { ttl: 60_000 })
      await map.set('never', 3)
      const left = await map.ttlOf('short')
      assert.ok(left !== undefined && left > 0 && left <= 400, String(left))
      assert.equal(await map.ttlOf('never'), Infinity)
      assert.equal(await map.ttlOf('absent'), undefined)
      await new Promise((resolve) => setTimeout(resolve, 450))
      assert.equal(await map.get('short'), undefined)
      assert.equal(await map.has('short'), false)
      assert.equal(await map.size(), 2)
      assert.deepEqual([...(await map.snapshot()).keys()].sort(), ['long', 'never'])
      // What is left on the server: two fields, one deadline.
      const data = `conmap:{${map.name}:0}`
      assert.equal((await server.cli(['hlen', data])).trim(), '2')
      assert.equal((await server.cli(['zcard', `${data}:ttl`])).trim(), '1')
      // A write without a ttl takes the map's default (never): the deadline goes.
      await map.set('long', 4)
      assert.equal(await map.ttlOf('long'), Infinity)
      await assert.rejects(map.set('x', 1, { ttl: -1 }), withCode('ERR_INVALID_ARGUMENT'))
    })

    test('scripts go by EVALSHA, and by EVAL after the server forgot them (SCRIPT FLUSH)', async () => {
      const map = new RedisMap<string, number>({ client: conn.client, name: fresh('sha') })
      await map.set('a', 1)
      const before = await evalshaCalls()
      assert.equal(await map.get('a'), 1)
      assert.equal((await evalshaCalls()) - before, 1)
      await server.cli(['script', 'flush'])
      assert.equal(await map.swap('a', 2).then((r) => r.previous), 1)
      assert.equal(await map.get('a'), 2)
    })

    test('a call without a reply is ERR_REDIS_INDETERMINATE and is not sent again; here it did happen', async () => {
      const map = new RedisMap<string, number>({ client: conn.client, name: fresh('lost'), timeout: 100 })
      await map.set('k', 1)
      const before = await evalshaCalls()
      await server.cli(['client', 'pause', '400', 'ALL'])
      await assert.rejects(map.set('k', 2), withCode('ERR_REDIS_INDETERMINATE'))
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.equal(await map.get('k'), 2, 'the server ran the write once the pause ended')
      assert.equal((await evalshaCalls()) - before, 2, 'one set, one get: nothing was sent twice')
    })

    test('update() retries a lost compare-and-swap with fn again, then gives up with ERR_CONFLICT, writing nothing', async () => {
      const name = fresh('conflict')
      const map = new RedisMap<string, number>({ client: conn.client, name, retries: 3 })
      const rival = new RedisMap<string, number>({ client: conn.client, name })
      await map.set('n', 0)
      await rival.get('n')
      let calls = 0
      // The rival's write leaves on the same connection before update's commit: every commit loses.
      const err = await map
        .update('n', (n) => {
          calls++
          void rival.set('n', 100 + calls)
          return (n ?? 0) + 1
        })
        .catch((e: unknown) => e)
      assert.ok(withCode('ERR_CONFLICT')(err), String(err))
      assert.equal(calls, 3)
      assert.equal(await map.get('n'), 103)
      // Without a rival it commits at once, and undefined deletes.
      assert.equal(await map.update('n', (n) => (n ?? 0) + 1), 104)
      assert.equal(await map.update('n', () => undefined), undefined)
      assert.equal(await map.has('n'), false)
      await assert.rejects(map.update('n', (() => Promise.resolve(1)) as never), withCode('ERR_INVALID_VALUE'))
      assert.equal(await map.has('n'), false)
    })

    test('getOrComputeAsync: one computation for callers on two connections, every caller gets the stored value', async () => {
      const name = fresh('compute')
      const a = new RedisMap<string, string>({ client: conn.client, name })
      const b = new RedisMap<string, string>({ client: other.client, name })
      let runs = 0
      const factory = async () => {
        runs++
        await new Promise((resolve) => setTimeout(resolve, 50))
        return `value-${runs}`
      }
      const got = await Promise.all([a.getOrComputeAsync('k', factory), b.getOrComputeAsync('k', factory), a.getOrComputeAsync('k', factory), b.getOrComputeAsync('k', factory)])
      assert.equal(runs, 1)
      assert.deepEqual(got, ['value-1', 'value-1', 'value-1', 'value-1'])
      // A rejection reaches the caller, releases the lease, and the next call computes.
      await assert.rejects(a.getOrComputeAsync('bad', () => Promise.reject(new Error('boom'))), /boom/)
      assert.equal(await b.getOrComputeAsync('bad', async () => 'ok'), 'ok')
      // One caller's abort ends its wait only.
      const controller = new AbortController()
      let release: (v: string) => void = () => undefined
      const slow = new Promise<string>((resolve) => (release = resolve))
      const waiting = a.getOrComputeAsync('slow', () => slow, { signal: controller.signal })
      const staying = a.getOrComputeAsync('slow', () => slow)
      controller.abort(new Error('gave up'))
      await assert.rejects(waiting, /gave up/)
      release('done')
      assert.equal(await staying, 'done')
      assert.equal(await b.get('slow'), 'done')
      assert.equal(await a.getOrCompute('sync', (k) => `${k}!`), 'sync!')
    })

    test('a map opened with another codec or bucket count is refused, and writes nothing', async () => {
      const name = fresh('meta')
      const json = new RedisMap<string, number>({ client: conn.client, name, codec: 'json' })
      await json.set('a', 1)
      const structured = new RedisMap<string, number>({ client: conn.client, name })
      await assert.rejects(structured.set('b', 2), withCode('ERR_INVALID_ARGUMENT'))
      const wider = new RedisMap<string, number>({ client: conn.client, name, codec: 'json', buckets: 4 })
      await assert.rejects(wider.set('b', 2), withCode('ERR_INVALID_ARGUMENT'))
      assert.deepEqual(await json.snapshot(), new Map([['a', 1]]))
      // Bucket 0's hash and its version hash, nothing of the refused clients.
      assert.deepEqual((await server.cli(['--scan', '--pattern', `conmap:{${name}:*`])).trim().split('\n').sort(), [`conmap:{${name}:0}`, `conmap:{${name}:0}:ver`])
      // A value the codec refuses: nothing written.
      const strings = new RedisMap<string, string>({ client: conn.client, name: fresh('codec'), codec: 'string' })
      await assert.rejects(strings.set('k', 5 as never), withCode('ERR_INVALID_VALUE'))
      await assert.rejects(strings.setMany([['a', 'ok'], ['b', 5 as never]]), withCode('ERR_INVALID_VALUE'))
      assert.equal(await strings.size(), 0)
    })

    test('a map of the layout before versions (layout 1) is refused, and nothing is written', async () => {
      const name = fresh('layout')
      await new RedisMap<string, number>({ client: conn.client, name }).set('a', 1)
      await server.cli(['hset', `conmap:{${name}}:meta`, 'layout', '1'])
      const later = new RedisMap<string, number>({ client: conn.client, name })
      await assert.rejects(later.set('b', 2), (err: unknown) => withCode('ERR_INVALID_ARGUMENT')(err) && /layout 1.*layout 2/.test(String(err)))
      assert.equal((await server.cli(['hlen', `conmap:{${name}:0}`])).trim(), '1')
    })

    test('durability on a server without replicas: the write stands on the primary, the call says 0 replicas have it', async () => {
      const map = new RedisMap<string, number>({ client: conn.client, name: fresh('durable'), durability: { replicas: 1, timeout: 50 } })
      const err = await map.set('k', 1).catch((e: unknown) => e)
      assert.ok(withCode('ERR_REDIS_INDETERMINATE')(err), String(err))
      assert.equal((err as { replicas?: number }).replicas, 0)
      assert.equal(await map.get('k'), 1)
      assert.throws(() => new RedisMap({ client: conn.client, name: 'x', durability: { replicas: 1 } as never }), withCode('ERR_INVALID_ARGUMENT'))
    })

    test('maps never share a server key, whatever their names', async () => {
      const base = fresh('iso')
      const suffixes = ['', ':0', '}', '{x}', ':meta', '%003a', '\u0000', 'é', '*', ' ']
      const maps = suffixes.map((s) => new RedisMap<string, string>({ client: conn.client, name: base + s, buckets: 2 }))
      await Promise.all(maps.map((m, i) => m.setMany([['k', `map${i}`], [`only${i}`, 'x']])))
      for (const [i, m] of maps.entries()) {
        assert.equal(await m.get('k'), `map${i}`)
        assert.deepEqual([...(await m.snapshot()).keys()].sort(), ['k', `only${i}`])
      }
      await maps[0]?.clear()
      assert.equal(await maps[0]?.size(), 0)
      assert.equal(await maps[1]?.size(), 2)
    })
  })
}

test('clients RedisMap refuses: anything but node-redis or ioredis, an ioredis client that resends lost commands', () => {
  assert.throws(() => new RedisMap({ client: {}, name: 'x' }), withCode('ERR_INVALID_ARGUMENT'))
  const resending = new Redis({ port: server.port, lazyConnect: true })
  assert.throws(() => new RedisMap({ client: resending, name: 'x' }), /autoResendUnfulfilledCommands/)
  resending.disconnect()
  assert.throws(() => new RedisMap({ client: resending, name: '' }), withCode('ERR_INVALID_ARGUMENT'))
})

test('a connection lost with a write in flight (no timeout): ERR_REDIS_INDETERMINATE, and the map goes on after the reconnect', { timeout: 30_000 }, async () => {
  const conn = await connect('node-redis', server)
  try {
    const map = new RedisMap<string, number>({ client: conn.client, name: fresh('killed'), timeout: Infinity })
    await map.set('k', 1)
    // Scripts wait out a write pause; CLIENT KILL, no write, is served meanwhile.
    await server.cli(['client', 'pause', '300', 'WRITE'])
    const pending = map.set('k', 2).then(
      () => undefined,
      (err: unknown) => err,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    await server.cli(['client', 'kill', 'type', 'normal'])
    const err = await pending
    assert.ok(withCode('ERR_REDIS_INDETERMINATE')(err), String(err))
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.ok([1, 2].includes((await map.get('k')) as number))
    assert.equal(await map.update('k', () => 3), 3)
  } finally {
    await conn.close()
  }
})

test('a server that goes away: calls reject within the timeout, no hang', { timeout: 30_000 }, async () => {
  const doomed = await startRedis()
  const conn = await connect('node-redis', doomed)
  try {
    const map = new RedisMap<string, number>({ client: conn.client, name: 'down', timeout: 200 })
    await map.set('a', 1)
    await doomed.stop()
    await assert.rejects(map.get('a'), withCode('ERR_REDIS_INDETERMINATE'))
    await assert.rejects(map.set('a', 2), withCode('ERR_REDIS_INDETERMINATE'))
  } finally {
    await conn.close().catch(() => undefined)
  }
})

test('a server with requirepass: the client carries the credentials', { timeout: 30_000 }, async () => {
  const locked = await startRedis(['--requirepass', 's3cret'])
  try {
    for (const kind of CLIENT_KINDS) {
      const conn = await connect(kind, locked, 's3cret')
      const map = new RedisMap<string, number>({ client: conn.client, name: 'auth' })
      assert.equal(await map.update('n', (n) => (n ?? 0) + 1), kind === 'node-redis' ? 1 : 2)
      await conn.close()
    }
  } finally {
    await locked.stop()
  }
})
