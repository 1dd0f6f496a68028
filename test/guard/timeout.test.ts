// guard()'s timeout bounds the lock waits of a call on every strategy, reads
// included, far below the map's own lockTimeout; the call then throws
// ERR_LOCK_TIMEOUT having changed nothing, trips the breaker and is audited with its wait.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AuditLog, CircuitBreaker, ErrorCode, SharedMap, guard, type Concurrency } from '../../src/index.js'
import { callScope } from '../../src/sync/call-scope.js'
import { withCode } from '../helpers/workers.js'
import { gate, startGuardWorker } from './helpers.js'

const LIMIT = { timeout: 60_000 }
const cases: ReadonlyArray<readonly [Concurrency, 'get' | 'set']> = [
  ['optimistic', 'set'],
  ['sharded', 'get'],
  ['rwmutex', 'get'],
  ['mutex', 'get'],
]

for (const [concurrency, op] of cases) {
  test(`'${concurrency}': a guarded ${op} waiting for a shard another worker holds times out after the guard's timeout`, LIMIT, async () => {
    const map = new SharedMap<string, number>({ concurrency, lockTimeout: 30_000 })
    map.set('k', 1)
    const holder = await startGuardWorker({ map, breaker: new CircuitBreaker(), log: new AuditLog() })
    const held = gate()
    const hold = holder.start('hold', 'holding', { key: 'k', gate: held.buffer })
    await hold.event
    const guarded = guard(map, { timeout: 25, breaker: { failures: 1, resetAfter: 60_000 }, audit: {} })
    const call = op === 'get' ? () => guarded.get('k') : () => guarded.set('k', 2)
    assert.throws(call, (err: Error) => withCode(ErrorCode.LOCK_TIMEOUT)(err) && /held by/.test(err.message))
    assert.equal(callScope.bound, Infinity, 'the bound ends with the call, even one that threw')
    assert.equal(guarded.breaker.state, 'open')
    const [entry] = guarded.audit()
    assert.equal(entry?.outcome, ErrorCode.LOCK_TIMEOUT)
    assert.ok((entry?.wait ?? 0) >= 20, `waited ${entry?.wait} ms`)
    held.open()
    assert.deepEqual(await hold.reply, { value: 'released' })
    assert.equal(map.get('k'), 101, 'the timed-out call changed nothing')
  })
}

test('nested guarded calls: the tighter bound holds inside, each scope is restored after', () => {
  const seen: number[] = []
  const probe = { get: (_key: string) => seen.push(callScope.bound) }
  const inner = guard(probe, { timeout: 500 })
  const outer = guard({ get: (key: string) => inner.get(key) + seen.push(callScope.bound) }, { timeout: 50 })
  outer.get('k')
  guard(probe, { timeout: 20 }).get('k')
  assert.deepEqual(seen, [50, 50, 20])
  assert.equal(callScope.bound, Infinity)
})
