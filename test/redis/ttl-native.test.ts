// RedisMap on native per-field expiry (HPEXPIRE), on a redis-server that has it: the map
// contract with each client, then what the server holds and does (one deadline for an
// entry and its version, HLEN counting expired fields that size() must not, reclaiming
// without any client), the refusals between schemes, and a cluster whose primaries differ.
// CI's redis-server (Debian 7.0.15) has no HPEXPIRE: every test here then skips, saying so;
// CONMAP_REDIS_SERVER names a build that has it (a Redis source build, README.md).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap, type TtlMode } from '../../src/redis/index.js'
import { REDIS_SERVER, startCluster, type RedisCluster, type RedisServer } from '../helpers/redis-servers.js'
import { NATIVE_SKIP, startNativeRedis } from '../helpers/native-expiry.js'
import { CLIENT_KINDS, connect, connectCluster, type Connected } from './clients.js'
import { contract } from '../contract/suite.js'

const withCode = (code: string, text?: RegExp) => (err: unknown) => (err as { code?: string }).code === code && (text === undefined || text.test((err as Error).message))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const server: RedisServer | undefined = await startNativeRedis()
after(async () => {
  await server?.stop()
})

if (server === undefined) {
  test('RedisMap on native per-field expiry', (t) => {
    t.skip(NATIVE_SKIP)
  })
} else {
  const native: RedisServer = server
  let names = 0
  const fresh = (prefix: string) => `${prefix}-${names++}`
  const cli = (args: readonly string[]) => native.cli(args).then((out) => out.trim())
  /** The expiry times (ms) of a one-key map's field in its hash and its version hash, as the server has them. */
  const expiryTimes = async (name: string) =>
    (
      await cli([
        'eval',
        "local f = redis.call('HKEYS', KEYS[1])[1] return {redis.call('HPEXPIRETIME', KEYS[1], 'FIELDS', 1, f)[1], redis.call('HPEXPIRETIME', KEYS[2], 'FIELDS', 1, f)[1]}",
        '2',
        `conmap:{${name}:0}`,
        `conmap:{${name}:0}:ver`,
      ])
    )
      .split('\n')
      .map(Number)

  for (const kind of CLIENT_KINDS) {
    contract(`RedisMap standalone, native TTLs, ${kind}`, async () => {
      const conn = await connect(kind, native)
      let maps = 0
      return {
        open: () => new RedisMap({ client: conn.client, name: `contract-native-${kind}-${maps++}`, ttlMode: 'native' }),
        close: () => conn.close(),
      }
    })

    describe(`native TTLs on the server, ${kind}`, { timeout: 60_000 }, () => {
      let conn: Connected
      const open = <V>(name: string, ttlMode?: TtlMode, ttl?: number) =>
        new RedisMap<string, V>({ client: conn.client, name, ...(ttlMode === undefined ? {} : { ttlMode }), ...(ttl === undefined ? {} : { ttl }) })
      before(async () => {
        conn = await connect(kind, native)
      })
      after(async () => {
        await conn.close()
      })

      test("'auto' picks native here and records it; an entry and its version field carry one deadline; no deadline set is made", async () => {
        const name = fresh('layout')
        const map = open<number>(name)
        assert.equal(await map.ttlScheme(), 'native')
        assert.equal(await cli(['hget', `conmap:{${name}}:meta`, 'ttl']), 'native')
        await map.set('k', 1, { ttl: 60_000 })
        const [data, version] = await expiryTimes(name)
        assert.ok(data !== undefined && data > Date.now() + 30_000, `deadline ${data}`)
        assert.equal(version, data, 'the version field expires with its entry')
        assert.equal(await cli(['exists', `conmap:{${name}:0}:ttl`]), '0')
        const left = await map.ttlOf('k')
        assert.ok(left !== undefined && left > 30_000 && left <= 60_000, String(left))
      })

      test('a write without a ttl clears the expiry (the map default: never), with one sets a new one; writes that do not happen keep it', async () => {
        const name = fresh('overwrite')
        const map = open<number>(name)
        await map.set('k', 1, { ttl: 60_000 })
        await map.set('k', 2)
        assert.equal(await map.ttlOf('k'), Infinity)
        assert.deepEqual(await expiryTimes(name), [-1, -1])
        await map.set('k', 3, { ttl: 20_000 })
        assert.ok(((await map.ttlOf('k')) ?? 0) <= 20_000)
        assert.equal(await map.compareAndSwap('k', 0, 4), false)
        assert.deepEqual(await map.loadOrStore('k', 5, { ttl: 90_000 }), { value: 3, loaded: true })
        const kept = await map.ttlOf('k')
        assert.ok(kept !== undefined && kept > 10_000 && kept <= 20_000, String(kept))
        await map.swap('k', 6)
        assert.equal(await map.ttlOf('k'), Infinity, 'swap writes with the map default')
        // The longest ttl the scripts pass on (2^45 ms: the server refuses field deadlines
        // past 2^46 - 1 ms after 1970); past it, never.
        await map.set('far', 1, { ttl: 2 ** 45 })
        assert.ok(((await map.ttlOf('far')) ?? 0) > 2 ** 45 - 60_000)
        await map.set('past', 1, { ttl: 2 ** 45 + 1 })
        assert.equal(await map.ttlOf('past'), Infinity)
        const withDefault = open<number>(fresh('default'), undefined, 50_000)
        await withDefault.set('d', 1)
        await withDefault.update('d', (n) => (n ?? 0) + 1)
        const left = await withDefault.ttlOf('d')
        assert.ok(left !== undefined && left > 25_000 && left <= 50_000, String(left))
      })

      test('HLEN counts expired fields not yet reclaimed; size(), iteration, snapshot and versions do not', async () => {
        const name = fresh('unreclaimed')
        const data = `conmap:{${name}:0}`
        const map = open<number>(name)
        await cli(['debug', 'set-active-expire', '0'])
        try {
          await map.setMany(
            [
              ['a', 1],
              ['b', 2],
              ['c', 3],
            ],
            { ttl: 400 },
          )
          await map.set('d', 4)
          const before = await map.getVersioned('b')
          assert.ok(before !== undefined)
          await sleep(600)
          assert.equal(await cli(['hlen', data]), '4', 'the server still holds the three expired fields')
          assert.equal(await map.size(), 1)
          const keys: string[] = []
          for await (const key of map.keys()) keys.push(key)
          assert.deepEqual(keys, ['d'])
          assert.deepEqual(await map.snapshot(), new Map([['d', 4]]))
          assert.equal(await map.get('a'), undefined)
          assert.equal(await cli(['hlen', data]), '3', 'the read that met it deleted it')
          assert.equal(await map.getVersioned('b'), undefined)
          assert.equal(await map.deleteIfVersion('b', before.version), false)
          assert.equal(await map.setIfVersion('b', 20, before.version), false)
          assert.equal(await map.setIfVersion('b', 20, 0), true)
          const after = await map.getVersioned('b')
          assert.ok(after !== undefined && after.version > before.version, `${after?.version} after ${before.version}`)
          assert.equal(await map.size(), 2)
        } finally {
          await cli(['debug', 'set-active-expire', '1'])
        }
      })

      test('the server reclaims expired entries and their versions by itself, with no client calling', async () => {
        const name = fresh('active')
        const map = open<number>(name)
        await map.setMany(
          Array.from({ length: 20 }, (_, i) => [`k${i}`, i] as [string, number]),
          { ttl: 100 },
        )
        assert.equal(await cli(['hlen', `conmap:{${name}:0}:ver`]), '21')
        let left = ''
        for (let waited = 0; waited < 10_000; waited += 100) {
          left = `${await cli(['exists', `conmap:{${name}:0}`])} ${await cli(['hlen', `conmap:{${name}:0}:ver`])}`
          if (left === '0 1') break
          await sleep(100)
        }
        assert.equal(left, '0 1', 'the hash is gone and only the counter is left of the versions')
        assert.equal(await map.size(), 0)
      })

      test('a map is read with the scheme it was written with: emulated and native maps refuse the other ttlMode, nothing written', async () => {
        const emulated = fresh('made-emulated')
        await open<number>(emulated, 'emulated').set('k', 1, { ttl: 60_000 })
        const keysOf = async (name: string) => (await cli(['--scan', '--pattern', `conmap:{${name}*`])).split('\n').sort()
        const before = await keysOf(emulated)
        await assert.rejects(open(emulated, 'native').set('k', 2), withCode('ERR_INVALID_ARGUMENT', /with emulated TTLs; this client has ttlMode 'native'/))
        assert.deepEqual(await keysOf(emulated), before)
        const auto = open<number>(emulated)
        assert.equal(await auto.ttlScheme(), 'emulated', "'auto' takes the map's scheme")
        assert.ok(((await auto.ttlOf('k')) ?? 0) > 30_000)
        const made = fresh('made-native')
        await open<number>(made, 'native').set('k', 1, { ttl: 60_000 })
        const nativeKeys = await keysOf(made)
        await assert.rejects(open(made, 'emulated').set('k', 2, { ttl: 1 }), withCode('ERR_INVALID_ARGUMENT', /with native TTLs; this client has ttlMode 'emulated'/))
        assert.deepEqual(await keysOf(made), nativeKeys)
        assert.equal(await open<number>(made).get('k'), 1)
      })
    })
  }

  describe('a cluster whose primaries differ: one Debian 7.0 primary, two with HPEXPIRE', { timeout: 120_000 }, () => {
    let cluster: RedisCluster
    /** Whether node 0, the old primary, owns slot. */
    let onOld: (slot: number) => boolean
    /** A name whose one-bucket map lands on the old primary (true) or on a new one (false). */
    const nameOn = async (old: boolean, prefix: string) => {
      for (let i = 0; ; i++) {
        const name = `${prefix}-${i}`
        if (onOld(Number(await (cluster.nodes[1] as RedisServer).cli(['cluster', 'keyslot', `conmap:{${name}:0}`]))) === old) return name
      }
    }
    before(async () => {
      // Node 0 is a primary (redis-cli makes the first nodes of its list the primaries); its
      // replica runs the newer server, which can follow an older primary.
      cluster = await startCluster(3, (node) => (node === 0 ? 'redis-server' : REDIS_SERVER))
      const old = cluster.nodes[0] as RedisServer
      assert.match(await old.cli(['role']), /^master/)
      const own = ((await old.cli(['cluster', 'nodes'])).split('\n').find((line) => line.includes('myself')) ?? '')
        .split(' ')
        .slice(8)
        .map((range) => range.split('-').map(Number))
      onOld = (slot) => own.some(([from, to]) => from !== undefined && slot >= from && slot <= (to ?? from))
      assert.ok(own.length > 0 && onOld(0) !== onOld(16383), `node 0 owns ${JSON.stringify(own)}`)
    })
    after(async () => {
      await cluster.stop()
    })

    for (const kind of CLIENT_KINDS) {
      test(`${kind}: 'auto' runs a map over every primary emulated, 'native' is refused naming a bucket on the old primary; one-bucket maps follow their primary`, async () => {
        const conn = await connectCluster(kind, cluster)
        try {
          // 64 buckets: that none lands on node 0's third of the slots is a (2/3)^64 chance.
          const mixed = new RedisMap<string, number>({ client: conn.client, name: fresh(`mixed-${kind}`), buckets: 64 })
          assert.equal(await mixed.ttlScheme(), 'emulated')
          await mixed.set('k', 1, { ttl: 60_000 })
          assert.ok(((await mixed.ttlOf('k')) ?? 0) > 30_000)
          await assert.rejects(new RedisMap({ client: conn.client, name: fresh(`forced-${kind}`), buckets: 64, ttlMode: 'native' }).size(), withCode('ERR_INVALID_ARGUMENT', /the primary of bucket \d+ does not have;/))
          assert.equal(await new RedisMap({ client: conn.client, name: await nameOn(false, `new-${kind}`), buckets: 1 }).ttlScheme(), 'native')
          assert.equal(await new RedisMap({ client: conn.client, name: await nameOn(true, `old-${kind}`), buckets: 1 }).ttlScheme(), 'emulated')
        } finally {
          await conn.close()
        }
      })
    }
  })
}
