// RedisMap versions on a real server, seen from two clients (node-redis and ioredis, two
// connections) and on the server itself: an A -> B -> A made by the other client defeats
// compareAndSwap, not setIfVersion; the version hash keeps one field per live key, loses a
// key's field when the key is deleted or expires, and keeps the bucket's counter across
// clear(), so no version comes back.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis, type RedisServer } from '../helpers/redis-servers.js'
import { connect, type Connected } from './clients.js'

let server: RedisServer
let conns: Connected[]

before(async () => {
  server = await startRedis()
  conns = [await connect('node-redis', server), await connect('ioredis', server)]
})

after(async () => {
  for (const conn of conns) await conn.close()
  await server.stop()
})

const open = (i: number, name: string) => new RedisMap<string, string>({ client: (conns[i] as Connected).client, name })

test('A -> B -> A by another client: compareAndSwap passes, setIfVersion and deleteIfVersion fail', { timeout: 30_000 }, async () => {
  const [mine, theirs] = [open(0, 'aba'), open(1, 'aba')]
  await mine.set('acct', 'A')
  const read = await mine.getVersioned('acct')
  assert.ok(read !== undefined)
  await theirs.set('acct', 'B')
  await theirs.set('acct', 'A')
  assert.equal((await theirs.getVersioned('acct'))?.value, 'A')
  assert.equal(await mine.setIfVersion('acct', 'C', read.version), false)
  assert.equal(await mine.deleteIfVersion('acct', read.version), false)
  assert.equal(await mine.compareAndSwap('acct', 'A', 'C'), true)
  const now = await theirs.getVersioned('acct')
  assert.ok(now !== undefined && now.version > read.version)
  assert.equal(await mine.deleteIfVersion('acct', now.version), true)
})

test('on the server: one version field per live key, gone with its key (delete, expiry); the counter outlives clear()', { timeout: 30_000 }, async () => {
  const map = open(0, 'layout-v')
  const versions = 'conmap:{layout-v:0}:ver'
  const counter = async () => Number((await server.cli(['hget', versions, ''])).trim())
  await map.setMany([['a', '1'], ['b', '2'], ['c', '3']])
  assert.equal((await server.cli(['hlen', versions])).trim(), '4', 'three keys and the counter')
  assert.equal(await counter(), 3)
  await map.delete('a')
  await map.set('short', 'x', { ttl: 100 })
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(await map.get('short'), undefined)
  assert.equal((await server.cli(['hlen', versions])).trim(), '3', 'b, c and the counter')
  const before = await counter()
  await map.clear()
  assert.equal((await server.cli(['hlen', versions])).trim(), '1', 'only the counter')
  assert.equal(await counter(), before)
  await map.set('a', 'again')
  assert.equal((await map.getVersioned('a'))?.version, before + 1)
})
