// The Redis fixture itself: a server on a free loopback port that answers, then stops and
// frees its port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection } from 'node:net'
import { startRedis } from '../helpers/redis-servers.js'

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

test('startRedis: a server of its own on a free port other than 6379, gone after stop()', { timeout: 30_000 }, async () => {
  const server = await startRedis()
  assert.notEqual(server.port, 6379)
  assert.ok(server.port >= 20000 && server.port < 30000)
  assert.equal((await server.cli(['ping'])).trim(), 'PONG')
  assert.equal((await server.cli(['config', 'get', 'save'])).split('\n')[1], '')
  await server.stop()
  assert.equal(await connects(server.port), false)
})
