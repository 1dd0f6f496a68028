// Which TTL scheme a RedisMap runs on, on the Debian redis-server (7.0.15 here and in CI: no
// per-field expiry): 'auto' falls back to the emulation and records it; 'native' is refused
// with nothing written; a map whose meta names another scheme (or none, or an unknown one)
// is opened, or refused, by what its meta says. The native scheme itself: ttl-native.test.ts.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap, type TtlMode } from '../../src/redis/index.js'
import type { RedisServer } from '../helpers/redis-servers.js'
import { hasNativeExpiry, startPathRedis } from '../helpers/native-expiry.js'
import { driverFor, isReplyError, runScript } from '../../src/redis/driver.js'
import { bucketKeys, encodeField } from '../../src/redis/layout.js'
import { SET } from '../../src/redis/scripts.js'
import { CLIENT_KINDS, connect, type Connected } from './clients.js'

const withCode = (code: string, text?: RegExp) => (err: unknown) => (err as { code?: string }).code === code && (text === undefined || text.test((err as Error).message))

let server: RedisServer
let native = false
before(async () => {
  server = await startPathRedis()
  native = await hasNativeExpiry(server)
})
after(async () => {
  await server.stop()
})

let names = 0
const fresh = (prefix: string) => `${prefix}-${names++}`
const serverKeys = async (name: string) => (await server.cli(['--scan', '--pattern', `conmap:{${name}*`])).split('\n').filter(Boolean).sort()
const meta = async (name: string) => (await server.cli(['hgetall', `conmap:{${name}}:meta`])).trim().split('\n')
const WITHOUT = 'the redis-server on PATH has HPEXPIRE: these tests need one without it'

for (const kind of CLIENT_KINDS) {
  describe(`TTL scheme on a server without HPEXPIRE, ${kind}`, { timeout: 60_000 }, () => {
    let conn: Connected
    before(async () => {
      conn = await connect(kind, server)
    })
    after(async () => {
      await conn.close()
    })
    const open = (name: string, ttlMode?: TtlMode) => new RedisMap<string, number>({ client: conn.client, name, ...(ttlMode === undefined ? {} : { ttlMode }) })

    test("'auto' (the default) runs the emulation and records it in the map's meta", async (t) => {
      if (native) return t.skip(WITHOUT)
      const name = fresh('auto')
      const map = open(name)
      assert.equal(await map.ttlScheme(), 'emulated')
      assert.deepEqual(await meta(name), ['codec', 'builtin:structured', 'buckets', '1', 'layout', '2', 'ttl', 'emulated'])
      await map.set('k', 1, { ttl: 60_000 })
      assert.deepEqual(await serverKeys(name), [`conmap:{${name}:0}`, `conmap:{${name}:0}:ttl`, `conmap:{${name}:0}:ver`, `conmap:{${name}}:meta`])
      assert.equal(await open(name, 'emulated').ttlScheme(), 'emulated')
    })

    test("'native' is refused on every operation, with nothing written, and stays refused", async (t) => {
      if (native) return t.skip(WITHOUT)
      const name = fresh('native')
      const map = open(name, 'native')
      const refused = withCode('ERR_INVALID_ARGUMENT', /ttlMode 'native' needs native per-field expiry \(HPEXPIRE/)
      await assert.rejects(map.set('k', 1, { ttl: 1000 }), refused)
      await assert.rejects(map.get('k'), refused)
      await assert.rejects(map.size(), refused)
      await assert.rejects(map.ttlScheme(), refused)
      await assert.rejects(map.getOrComputeAsync('k', async () => 1), refused)
      await assert.rejects(async () => {
        for await (const _ of map.keys()) assert.fail('no key of a refused map')
      }, refused)
      assert.deepEqual(await serverKeys(name), [])
    })

    test("an emulated map opened with 'native' is refused, and the map is unchanged", async (t) => {
      if (native) return t.skip(WITHOUT)
      const name = fresh('made-emulated')
      await open(name).set('k', 1, { ttl: 60_000 })
      const before = await serverKeys(name)
      await assert.rejects(open(name, 'native').set('k', 2), withCode('ERR_INVALID_ARGUMENT'))
      assert.deepEqual(await serverKeys(name), before)
      assert.equal(await open(name).get('k'), 1)
    })

    test("a map whose meta says native is refused by 'auto' and by 'emulated' here, nothing written", async () => {
      const name = fresh('made-native')
      // As a client on a server with HPEXPIRE records a native map (the meta script's fields).
      await server.cli(['hset', `conmap:{${name}}:meta`, 'codec', 'builtin:structured', 'buckets', '1', 'layout', '2', 'ttl', 'native'])
      await assert.rejects(open(name, 'emulated').get('k'), withCode('ERR_INVALID_ARGUMENT', /with native TTLs; this client has ttlMode 'emulated'/))
      await assert.rejects(open(name, 'emulated').set('k', 1), withCode('ERR_INVALID_ARGUMENT'))
      if (!native) await assert.rejects(open(name).set('k', 1), withCode('ERR_INVALID_ARGUMENT', /with native TTLs, which need native per-field expiry/))
      assert.deepEqual(await serverKeys(name), [`conmap:{${name}}:meta`])
      assert.deepEqual(await meta(name), ['codec', 'builtin:structured', 'buckets', '1', 'layout', '2', 'ttl', 'native'])
    })

    test("a map made before the scheme was recorded (no 'ttl' in its meta) is emulated; an unknown scheme is refused", async (t) => {
      const old = fresh('pre-scheme')
      await server.cli(['hset', `conmap:{${old}}:meta`, 'codec', 'builtin:structured', 'buckets', '1', 'layout', '2'])
      const map = open(old)
      assert.equal(await map.ttlScheme(), 'emulated')
      await map.set('k', 1, { ttl: 60_000 })
      assert.ok(((await map.ttlOf('k')) ?? 0) > 30_000)
      assert.equal((await server.cli(['zcard', `conmap:{${old}:0}:ttl`])).trim(), '1')
      assert.deepEqual(await meta(old), ['codec', 'builtin:structured', 'buckets', '1', 'layout', '2'], 'the meta is not rewritten')
      const odd = fresh('odd-scheme')
      await server.cli(['hset', `conmap:{${odd}}:meta`, 'codec', 'builtin:structured', 'buckets', '1', 'layout', '2', 'ttl', 'sometimes'])
      await assert.rejects(open(odd).get('k'), withCode('ERR_INVALID_ARGUMENT', /TTL scheme "sometimes"/))
      if (native) return t.skip(`${WITHOUT} (for the 'native' refusal of a pre-scheme map)`)
      await assert.rejects(open(old, 'native').get('k'), withCode('ERR_INVALID_ARGUMENT'))
    })

    test('a native write with a ttl on a server without HPEXPIRE (a failover onto an older node) fails before it writes', async (t) => {
      if (native) return t.skip(WITHOUT)
      const bucket = bucketKeys(fresh('guard'), 0)
      const keys = [bucket.data, bucket.ttl, bucket.versions]
      const field = encodeField('k')
      const driver = driverFor(conn.client)
      await runScript(driver, SET.native, keys, [field, 'v1', '0'], 5000)
      await assert.rejects(runScript(driver, SET.native, keys, [field, 'v2', '60000'], 5000), (err: unknown) => isReplyError(err) && /Unknown Redis command/.test(err.message))
      assert.deepEqual((await server.cli(['hvals', bucket.data])).trim().split('\n'), ['v1'])
      assert.equal((await server.cli(['hget', bucket.versions, ''])).trim(), '1', 'no second version was taken')
      assert.equal((await server.cli(['exists', bucket.ttl])).trim(), '0')
    })

    test('a bad ttlMode is refused by the constructor', () => {
      for (const ttlMode of ['fast', '', 1, null]) {
        assert.throws(() => new RedisMap({ client: conn.client, name: fresh('bad'), ttlMode: ttlMode as never }), withCode('ERR_INVALID_ARGUMENT', /ttlMode must be/))
      }
    })
  })
}

test('a user whose ACL denies COMMAND opens a map with the default ttlMode (the probe asks HPTTL itself, under pcall)', { timeout: 30_000 }, async () => {
  const denied = await startPathRedis()
  try {
    await denied.cli(['acl', 'setuser', 'default', '-command'])
    for (const kind of CLIENT_KINDS) {
      const conn = await connect(kind, denied)
      try {
        const map = new RedisMap<string, number>({ client: conn.client, name: fresh(`acl-${kind}`) })
        await map.set('k', 1, { ttl: 60_000 })
        assert.equal(await map.get('k'), 1)
        assert.equal(await map.ttlScheme(), 'emulated', 'the Debian server has no HPEXPIRE')
      } finally {
        await conn.close()
      }
    }
  } finally {
    await denied.stop()
  }
})
