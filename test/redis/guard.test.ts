// guard() over a RedisMap on a real server: the audit trail records its async calls, an
// aborted signal refuses calls without touching the server, and a breaker that counts
// ERR_REDIS_INDETERMINATE opens while the server stalls, then fails fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { guard } from '../../src/index.js'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis } from '../helpers/redis-servers.js'
import { connect } from './clients.js'

const codeOf = (err: unknown) => (err as { code?: string }).code

test('guard() works over a RedisMap: audit, signal, breaker', { timeout: 30_000 }, async () => {
  const server = await startRedis()
  const conn = await connect('node-redis', server)
  try {
    const audited = guard(new RedisMap<string, number>({ client: conn.client, name: 'guarded' }), { audit: {} })
    await audited.set('a', 1)
    assert.equal(await audited.update('a', (n) => (n ?? 0) + 1), 2)
    assert.equal(await audited.get('a'), 2)
    assert.deepEqual(
      audited.audit().map((e) => `${e.op} ${e.outcome}`),
      ['set ok', 'update ok', 'get ok'],
    )

    const controller = new AbortController()
    controller.abort(new Error('shutting down'))
    const stopped = guard(new RedisMap<string, number>({ client: conn.client, name: 'guarded' }), { signal: controller.signal })
    await assert.rejects(stopped.set('a', 99), /shutting down/)
    assert.equal(await audited.get('a'), 2)

    const fragile = guard(new RedisMap<string, number>({ client: conn.client, name: 'guarded', timeout: 50 }), {
      breaker: { failures: 2, resetAfter: 60_000 },
      isFailure: (err) => codeOf(err) === 'ERR_REDIS_INDETERMINATE',
    })
    await fragile.get('a')
    await server.cli(['client', 'pause', '300', 'ALL'])
    const outcomes = []
    for (let i = 0; i < 3; i++) outcomes.push(await fragile.get('a').catch(codeOf))
    assert.deepEqual(outcomes, ['ERR_REDIS_INDETERMINATE', 'ERR_REDIS_INDETERMINATE', 'ERR_BREAKER_OPEN'])
    assert.equal(fragile.breaker.state, 'open')
  } finally {
    await conn.close()
    await server.stop()
  }
})
