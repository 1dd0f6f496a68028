// getOrComputeAsync across real worker threads: one computation for 8 workers x 50 tasks,
// a rejection reaching every caller and the next call computing again, a computing worker
// terminated mid-computation (a waiter takes over), a lapsed timeout lease, waiters that
// abort on their own, and a computation in flight that neither shows, expires nor is evicted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, isConmapError, watch } from '../../src/index.js'
import { exited, mapWorkerFile, sleep, start } from '../helpers/workers.js'

type Settled = { ok: boolean; value?: unknown; code?: string; message?: string; at: number }

function computing(handle: unknown, extra: Record<string, unknown>) {
  return start('computeAsync', { handle, ...extra }, mapWorkerFile)
}

test('8 workers x 50 tasks on one absent key run the factory exactly once, and all get its value', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity })
  const runs = new SharedArrayBuffer(4)
  const workers = Array.from({ length: 8 }, () => computing(map.handle, { key: 'k', tasks: 50, delayMs: 200, runs }))
  const results = (await Promise.all(workers.map((w) => w.result))) as Settled[][]
  assert.equal(Atomics.load(new Int32Array(runs), 0), 1)
  const values = new Set(results.flat().map((r) => (r.ok ? r.value : `error ${r.message}`)))
  assert.equal(values.size, 1, `one value for all 400 callers: ${[...values].join(', ')}`)
  assert.equal(map.get('k'), [...values][0])
  const stats = map.stats()
  assert.equal(stats.computations, 1)
  assert.ok(stats.joins >= 7, `the other workers joined (${stats.joins})`)
  map.checkInvariants()
})

test('a rejection reaches every caller in every worker; the next call computes again', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity })
  const runs = new SharedArrayBuffer(4)
  const failing = Array.from({ length: 4 }, () => computing(map.handle, { key: 'k', tasks: 20, delayMs: 200, runs, reject: true }))
  const failed = ((await Promise.all(failing.map((w) => w.result))) as Settled[][]).flat()
  assert.equal(Atomics.load(new Int32Array(runs), 0), 1)
  assert.equal(failed.length, 80)
  assert.ok(failed.every((r) => !r.ok && r.code === 'E_FACTORY' && /^failed in \d+$/.test(r.message ?? '')), JSON.stringify(failed.find((r) => r.ok || r.code !== 'E_FACTORY')))
  assert.equal(new Set(failed.map((r) => r.message)).size, 1, 'every caller got the one error')
  assert.equal(map.has('k'), false)
  const retry = computing(map.handle, { key: 'k', tasks: 3, delayMs: 10, runs })
  const again = (await retry.result) as Settled[]
  assert.equal(Atomics.load(new Int32Array(runs), 0), 2)
  assert.ok(again.every((r) => r.ok))
  map.checkInvariants()
})

test('the computing worker terminated mid-computation: a waiter takes over and every caller settles', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity })
  const runs = new SharedArrayBuffer(4)
  const doomed = computing(map.handle, { key: 'k', tasks: 5, delayMs: 0, runs, hang: true })
  watch(doomed.worker)
  await doomed.event('computing')
  const waiters = Array.from({ length: 3 }, () => computing(map.handle, { key: 'k', tasks: 10, delayMs: 50, runs }))
  watch(waiters[0]!.worker)
  await Promise.all(waiters.map((w) => w.event('calling')))
  await sleep(100)
  assert.equal(Atomics.load(new Int32Array(runs), 0), 1, 'the waiters wait while the first attempt runs')
  const killed = Date.now()
  await doomed.worker.terminate()
  await exited(doomed.worker)
  const results = ((await Promise.all(waiters.map((w) => w.result))) as Settled[][]).flat()
  assert.equal(Atomics.load(new Int32Array(runs), 0), 2, 'one waiter took over')
  assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)))
  assert.equal(new Set(results.map((r) => r.value)).size, 1)
  const last = Math.max(...results.map((r) => r.at))
  assert.ok(last - killed < 2000, `every caller settled ${last - killed} ms after the kill`)
  map.checkInvariants()
})

test('a lapsed timeout: the computing callers get ERR_COMPUTE_TIMEOUT, a waiter takes over', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity })
  const runs = new SharedArrayBuffer(4)
  const stuck = computing(map.handle, { key: 'k', tasks: 3, delayMs: 0, runs, hang: true, timeout: 300 })
  await stuck.event('computing')
  const waiter = computing(map.handle, { key: 'k', tasks: 3, delayMs: 20, runs })
  const [timedOut, served] = (await Promise.all([stuck.result, waiter.result])) as [Settled[], Settled[]]
  assert.ok(timedOut.every((r) => !r.ok && r.code === 'ERR_COMPUTE_TIMEOUT'), JSON.stringify(timedOut))
  assert.ok(served.every((r) => r.ok))
  assert.equal(Atomics.load(new Int32Array(runs), 0), 2)
  assert.equal(map.get('k'), served[0]?.value)
})

test("a waiter's signal ends its own wait only; the factory's signal aborts when no caller is left", async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity, sweeper: false })
  let factorySignal: AbortSignal | undefined
  const slow = (_key: string, { signal }: { signal: AbortSignal }) => {
    factorySignal = signal
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve('done'), 150)
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(signal.reason as Error)
      })
    })
  }
  const leaving = new AbortController()
  const first = map.getOrComputeAsync('k', slow, { signal: leaving.signal })
  const staying = map.getOrComputeAsync('k', () => 'unused')
  leaving.abort(new Error('I leave'))
  await assert.rejects(first, /I leave/)
  assert.equal(await staying, 'done')
  assert.equal(factorySignal?.aborted, false)

  const everyone = [new AbortController(), new AbortController()]
  const calls = everyone.map((c) => map.getOrComputeAsync('j', slow, { signal: c.signal }))
  everyone.forEach((c) => c.abort(new Error('all gone')))
  for (const call of calls) await assert.rejects(call, /all gone/)
  const aborted = () => (factorySignal as AbortSignal | undefined)?.aborted === true
  for (let i = 0; i < 50 && !aborted(); i++) await sleep(10)
  assert.equal(aborted(), true)
  assert.equal(map.has('j'), false)
  await assert.rejects(map.getOrComputeAsync('x', () => 'v', { signal: AbortSignal.abort(new Error('before')) }), /before/)
  assert.equal(map.has('x'), false)
})

test('a computation in flight is absent, not counted, never expires nor is evicted; a write replaces it', async () => {
  const map = new SharedMap<string, string>({ maxEntries: 4, ttl: 30, shards: 1, sweeper: false })
  let release: (value: string) => void = () => undefined
  const inFlight = map.getOrComputeAsync('k', () => new Promise<string>((resolve) => (release = resolve)))
  await sleep(5)
  assert.equal(map.get('k'), undefined)
  assert.equal(map.has('k'), false)
  assert.deepEqual([...map.keys()], [])
  assert.equal(map.size, 0)
  for (let i = 0; i < 10; i++) map.set(`o${i}`, 'x')
  await sleep(60)
  map.sweep()
  map.checkInvariants()
  release('computed')
  assert.equal(await inFlight, 'computed')
  assert.equal(map.get('k'), 'computed')
  assert.ok(map.size <= 4)

  const replaced = map.getOrComputeAsync('r', () => sleep(40).then(() => 'late'))
  await sleep(5)
  map.set('r', 'written', { ttl: Infinity })
  assert.equal(await replaced, 'written')
  assert.equal(map.get('r'), 'written')
  map.checkInvariants()
})

test('bad arguments are ERR_INVALID_ARGUMENT; a plain map has no getOrComputeAsync', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity })
  for (const options of [{ timeout: 0 }, { timeout: -1 }, { timeout: Infinity }, { ttl: 0 }, { signal: 'x' }]) {
    await assert.rejects(map.getOrComputeAsync('k', () => 'v', options as never), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'), JSON.stringify(options))
  }
  await assert.rejects(map.getOrComputeAsync('k', 'nope' as never), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  await assert.rejects(new SharedMap().getOrComputeAsync('k', () => 1), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  assert.equal(map.size, 0)
})
