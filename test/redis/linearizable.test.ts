// Histories of concurrent RedisMap calls from several connections of both client
// libraries, on a real standalone server, checked per key by conmap/check: linearizable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, formatHistory } from '../../src/check/index.js'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connect, type Connected } from './clients.js'
import { recordHistory } from './history.js'

test('concurrent RedisMap histories on one server are linearizable per key', { timeout: 60_000 }, async (t) => {
  const server = await startRedis()
  const conns: Connected[] = []
  try {
    for (const kind of [...CLIENT_KINDS, ...CLIENT_KINDS]) conns.push(await connect(kind, server))
    const maps = conns.map((c) => new RedisMap<string, unknown>({ client: c.client, name: 'history' }))
    const history = await recordHistory(maps, 3, 120, 7)
    const result = checkHistory(history)
    t.diagnostic(`${result.operationsChecked} operations on ${result.keysChecked} keys checked`)
    assert.equal(result.linearizable, true, result.failure === undefined ? 'budget ran out' : formatHistory(result.failure.operations))
    assert.equal(result.operationsChecked, history.length)
  } finally {
    for (const c of conns) await c.close()
    await server.stop()
  }
})
