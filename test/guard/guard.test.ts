// guard() in one thread: the map's API back (sync stays sync), aborts, the breaker
// around sync and async maps, the generation rule for late results, iteration, and
// bad options.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AuditLog, CircuitBreaker, ErrorCode, SharedMap, conmapError, guard, share } from '../../src/index.js'
import { withCode } from '../helpers/workers.js'

test('the guarded SharedMap is the map: same methods and accessors, sync results, set() chaining on the guarded object', () => {
  const map = new SharedMap<string, number>()
  const guarded = guard(map, { name: 'counts', breaker: { failures: 2 }, audit: {} })
  assert.ok(guarded instanceof SharedMap)
  assert.equal(guarded.set('a', 1).set('b', 2), guarded)
  assert.equal(guarded.get('a'), 1)
  assert.equal(guarded.size, 2)
  assert.equal(guarded.handle, map.handle)
  assert.equal(guarded.concurrency, 'optimistic')
  assert.equal(guarded.stats().size, 2)
  assert.deepEqual(guarded.loadOrStore('a', 5), { value: 1, loaded: true })
  assert.equal(guarded.update('a', (n) => (n ?? 0) + 10), 11)
  assert.deepEqual([...guarded].sort(), [['a', 11], ['b', 2]])
  assert.deepEqual([...guarded.keys()].sort(), ['a', 'b'])
  assert.deepEqual(guarded.snapshot(), new Map([['a', 11], ['b', 2]]))
  assert.equal(guarded.delete('b'), true)
  assert.equal(map.get('b'), undefined)
  assert.equal(String(guarded), '[object SharedMap]')
  // share() takes the guarded map as the map: a worker attaches the map itself.
  assert.equal(share({ guarded }).handles.guarded, map.handle)
  const ops = guarded.audit().map((entry) => entry.op)
  assert.deepEqual(ops, ['set', 'set', 'get', 'loadOrStore', 'update', '[Symbol.iterator]', 'keys', 'snapshot', 'delete'])
  assert.equal(guarded.breaker.state, 'closed')
})

test('versioned operations are guarded and audited with their key', () => {
  const map = new SharedMap<string, number>()
  const guarded = guard(map, { audit: { keys: 'plain' }, breaker: {} })
  guarded.set('a', 1)
  const seen = guarded.getVersioned('a')
  assert.equal(seen?.value, 1)
  assert.equal(guarded.setIfVersion('a', 2, seen?.version ?? 0), true)
  assert.equal(guarded.deleteIfVersion('a', seen?.version ?? 0), false, 'the version moved')
  assert.equal(map.get('a'), 2)
  assert.deepEqual(guarded.audit().map((entry) => `${entry.op} ${entry.key}`), ['set a', 'getVersioned a', 'setIfVersion a', 'deleteIfVersion a'])
})

test('an aborted signal: every call throws its reason (async ones reject) and changes nothing; aborts never trip the breaker', async () => {
  const map = new SharedMap<string, number>({ ttl: Infinity })
  map.set('a', 1)
  const controller = new AbortController()
  const guarded = guard(map, { signal: controller.signal, breaker: { failures: 1 }, audit: {} })
  assert.equal(guarded.get('a'), 1)
  const reason = new Error('shutting down')
  controller.abort(reason)
  assert.throws(() => guarded.set('a', 2), (err) => err === reason)
  assert.throws(() => guarded.delete('a'), (err) => err === reason)
  assert.throws(() => guarded.clear(), (err) => err === reason)
  assert.throws(() => [...guarded.entries()], (err) => err === reason)
  const pending = guarded.getOrComputeAsync('b', () => 2)
  assert.ok(pending instanceof Promise, 'an async operation rejects rather than throws')
  await assert.rejects(pending, (err) => err === reason)
  assert.deepEqual(map.snapshot(), new Map([['a', 1]]))
  assert.equal(guarded.breaker.state, 'closed')
  assert.equal(guarded.breaker.stats().failures, 0)
  assert.ok(guarded.audit().slice(1).every((entry) => entry.outcome === 'aborted'))
})

test('getOrComputeAsync in flight rejects with the reason when the signal aborts, stores nothing and does not trip the breaker', async () => {
  const map = new SharedMap<string, number>({ ttl: Infinity })
  const controller = new AbortController()
  const guarded = guard(map, { signal: controller.signal, breaker: { failures: 1 }, audit: {} })
  let factorySignal: AbortSignal | undefined
  let started!: () => void
  const computing = new Promise<void>((resolve) => (started = resolve))
  const pending = guarded.getOrComputeAsync('k', (_key, { signal }) => {
    factorySignal = signal
    started()
    return new Promise<number>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
  })
  await computing
  controller.abort(new Error('client went away'))
  await assert.rejects(pending, /client went away/)
  assert.equal(factorySignal?.aborted, true, 'no caller is left: the computation is aborted')
  assert.equal(map.has('k'), false)
  assert.equal(guarded.breaker.state, 'closed')
  assert.equal(guarded.audit().at(-1)?.outcome, 'aborted')
  // The call's own signal still works, aborts only this caller, and is no failure either.
  const own = new AbortController()
  const plain = guard(map, { breaker: { failures: 1 }, audit: {} })
  const second = plain.getOrComputeAsync('k', () => new Promise<number>(() => undefined), { signal: own.signal })
  own.abort(new Error('mine'))
  await assert.rejects(second, /mine/)
  assert.equal(plain.breaker.state, 'closed')
  assert.equal(plain.audit().at(-1)?.outcome, 'aborted')
})

test('a plain async map: results stay Promises, failures named by isFailure trip the breaker, later calls fail fast without touching it', async () => {
  const calls: string[] = []
  interface Remote {
    get(key: string): Promise<number | undefined>
    set(key: string, value: number): Promise<Remote>
  }
  const remote: Remote = {
    async get(key: string): Promise<number | undefined> {
      calls.push(`get ${key}`)
      if (key === 'down') throw new Error('ECONNRESET')
      return key.length
    },
    async set(key: string, _value: number): Promise<Remote> {
      calls.push(`set ${key}`)
      return remote
    },
  }
  const guarded = guard(remote, { breaker: { failures: 2, resetAfter: 60_000 }, isFailure: (err: unknown) => (err as Error).message === 'ECONNRESET', audit: { keys: 'plain' } })
  assert.equal(await guarded.get('abc'), 3)
  assert.equal(await guarded.set('x', 1), guarded, 'a method returning the map returns the guarded object')
  await assert.rejects(guarded.get('down'), /ECONNRESET/)
  await assert.rejects(guarded.get('down'), /ECONNRESET/)
  assert.equal(guarded.breaker.state, 'open')
  const refused = guarded.get('abc')
  assert.ok(refused instanceof Promise)
  await assert.rejects(refused, withCode(ErrorCode.BREAKER_OPEN))
  assert.deepEqual(calls, ['get abc', 'set x', 'get down', 'get down'])
  assert.deepEqual(
    guarded.audit().map((entry) => `${entry.op} ${entry.key} ${entry.outcome}`),
    ['get abc ok', 'set x ok', 'get down error', 'get down error', `get abc ${ErrorCode.BREAKER_OPEN}`],
  )
})

test('a plain async map without signal support: an abort in flight rejects the caller at once', async () => {
  const never = { get: (_key: string) => new Promise<number>(() => undefined) }
  const controller = new AbortController()
  const guarded = guard(never, { signal: controller.signal, breaker: {} })
  const pending = guarded.get('k')
  controller.abort(new Error('stop'))
  await assert.rejects(pending, /stop/)
  // Its first promise showed the method is async: a refused call now rejects too.
  const refused = guarded.get('k')
  assert.ok(refused instanceof Promise)
  await assert.rejects(refused, /stop/)
})

test('a plain sync map stays sync; ERR_LOCK_TIMEOUT and ERR_OWNER_DIED always count as failures, other errors never', () => {
  let fault: Error | undefined
  const store = new Map<string, number>()
  const plain = {
    get(key: string): number | undefined {
      if (fault !== undefined) throw fault
      return store.get(key)
    },
  }
  const guarded = guard(plain, { breaker: { failures: 2, resetAfter: 60_000 } })
  assert.equal(guarded.get('a'), undefined)
  fault = conmapError(ErrorCode.INVALID_KEY, 'bad key')
  for (let i = 0; i < 5; i++) assert.throws(() => guarded.get('a'), withCode(ErrorCode.INVALID_KEY))
  assert.equal(guarded.breaker.state, 'closed', 'the map answered: no failure')
  fault = conmapError(ErrorCode.LOCK_TIMEOUT, 'timed out')
  assert.throws(() => guarded.get('a'), withCode(ErrorCode.LOCK_TIMEOUT))
  fault = conmapError(ErrorCode.OWNER_DIED, 'dead')
  assert.throws(() => guarded.get('a'), withCode(ErrorCode.OWNER_DIED))
  assert.equal(guarded.breaker.state, 'open')
})

test('an isFailure that throws counts the error as a failure', () => {
  const guarded = guard(
    { get: (_key: string): number => { throw new Error('boom') } },
    { breaker: { failures: 1 }, isFailure: () => { throw new Error('bad predicate') } },
  )
  assert.throws(() => guarded.get('a'), /boom/)
  assert.equal(guarded.breaker.state, 'open')
})

test('generation rule through guard(): the late failure of a call admitted before the breaker moved is dropped', async () => {
  let fail!: (err: Error) => void
  const late = new Promise<number>((_resolve, reject) => (fail = reject))
  const slow = { get: (_key: string) => late }
  const breaker = new CircuitBreaker({ failures: 1 })
  const guarded = guard(slow, { breaker, isFailure: () => true })
  const pending = guarded.get('k')
  breaker.reset()
  fail(new Error('too late'))
  await assert.rejects(pending, /too late/)
  assert.equal(breaker.state, 'closed')
  await assert.rejects(guard(slow, { breaker, isFailure: () => true }).get('k'), /too late/)
  assert.equal(breaker.state, 'open', 'a failure of the current generation does count')
})

test('one breaker shared by two guarded maps trips for both', () => {
  const a = new SharedMap<string, number>()
  const b = new SharedMap<string, string>()
  const ga = guard(a, { breaker: { failures: 1, resetAfter: 60_000 } })
  const gb = guard(b, { breaker: ga.breaker })
  assert.equal(gb.breaker, ga.breaker)
  ga.breaker.settle(ga.breaker.admit(), 'failure')
  assert.throws(() => gb.set('x', 'y'), withCode(ErrorCode.BREAKER_OPEN))
  assert.equal(b.size, 0, 'a refused call does not touch the map')
  // A handle (as a worker receives it) attaches the same breaker.
  assert.equal(guard(a, { breaker: structuredClone(ga.breaker.handle) }).breaker.state, 'open')
})

test('iteration is one guarded call: refused when open, its steps bounded, its end settling the breaker', () => {
  const map = new SharedMap<string, number>()
  map.set('a', 1).set('b', 2)
  const guarded = guard(map, { breaker: { failures: 1, resetAfter: 60_000 }, audit: {} })
  const iterator = guarded.entries()
  assert.deepEqual(iterator.next().value?.length, 2)
  iterator.return?.(undefined)
  assert.equal(guarded.audit().at(-1)?.op, 'entries')
  guarded.breaker.settle(guarded.breaker.admit(), 'failure')
  assert.throws(() => guarded.keys(), withCode(ErrorCode.BREAKER_OPEN))
  assert.throws(() => guarded.forEach(() => undefined), withCode(ErrorCode.BREAKER_OPEN))
})

test('bad options: ERR_INVALID_ARGUMENT, the map unchanged and nothing guarded', () => {
  const map = new SharedMap<string, number>()
  map.set('a', 1)
  const textLog = new AuditLog({ keys: 'text' })
  const hashLog = new AuditLog()
  const bad: unknown[] = [
    { timeout: -1 },
    { timeout: '50' },
    { signal: {} },
    { name: 7 },
    { isFailure: true },
    { breaker: { failures: 0 } },
    { breaker: 'on' },
    { audit: { entries: 0 } },
    { audit: { entries: 2 ** 21 } },
    { audit: { keys: 'raw' } },
    { audit: { sink: 'console' } },
    { audit: { colour: true } },
    { audit: { log: textLog } },
    { audit: { log: hashLog, keys: 'plain' } },
    { audit: { log: hashLog, entries: 8 } },
    { audit: { log: { conmap: 'Mutex' } } },
    { audits: {} },
    'fast',
    null,
  ]
  for (const options of bad) assert.throws(() => guard(map, options as never), withCode(ErrorCode.INVALID_ARGUMENT), JSON.stringify(options))
  assert.throws(() => guard(null as never), withCode(ErrorCode.INVALID_ARGUMENT))
  assert.deepEqual(map.snapshot(), new Map([['a', 1]]))
  assert.equal(textLog.read().length + hashLog.read().length, 0)
})
