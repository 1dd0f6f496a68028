// Map calls and lock waits on node:diagnostics_channel (src/metrics/channels.ts), heard
// by real subscribers in the main thread and in a worker thread: channels are per thread.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { channel, tracingChannel } from 'node:diagnostics_channel'
import { fileURLToPath } from 'node:url'
import { SharedMap } from '../../src/index.js'
import { LOCK_WAIT_CHANNEL, OP_CHANNEL, type LockWaitMessage, type MapOpMessage } from '../../src/metrics/channels.js'
import { start } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))
const ops = tracingChannel(OP_CHANNEL)

/** Subscribes `handlers` to the op TracingChannel for the length of `body`. */
async function listening(some: Partial<Parameters<typeof ops.subscribe>[0]>, body: () => unknown): Promise<void> {
  const none = (): void => undefined
  const handlers = { start: none, end: none, asyncStart: none, asyncEnd: none, error: none, ...some }
  ops.subscribe(handlers)
  try {
    await body()
  } finally {
    ops.unsubscribe(handlers)
  }
}

describe('tracing:conmap:map:op', () => {
  test('start, end and error of each call carry the map, the op, the hashed key and the outcome', async () => {
    const map = new SharedMap<string, number>({ ttl: Infinity, metrics: true })
    const events: string[] = []
    const messages = new Set<MapOpMessage>()
    const note = (kind: string) => (message: unknown): void => {
      const m = message as MapOpMessage
      messages.add(m)
      events.push(`${kind} ${m.op} ${m.key ?? '-'} ${m.outcome ?? '-'}`)
      assert.equal(m.map, map)
    }
    await listening({ start: note('start'), end: note('end'), error: note('error'), asyncStart: note('asyncStart'), asyncEnd: note('asyncEnd') }, async () => {
      map.set('user:1', 1)
      assert.equal(map.get('user:1'), 1)
      assert.equal(map.get('nobody'), undefined)
      assert.throws(() => map.set({} as unknown as string, 2), { code: 'ERR_INVALID_KEY' })
      map.clear()
      assert.equal(await map.getOrComputeAsync('user:1', async () => 7), 7)
      await assert.rejects(map.getOrComputeAsync('user:1', 'no function' as unknown as () => Promise<number>), { code: 'ERR_INVALID_ARGUMENT' })
    })
    // The key as the map hashes it, 8 hex digits: the same for each call on a key, another for another key.
    const k = /^start set (\S+) -$/.exec(events[0] ?? '')?.[1] ?? ''
    const nobody = /^start get (\S+) -$/.exec(events[4] ?? '')?.[1] ?? ''
    assert.match(k, /^[0-9a-f]{8}$/)
    assert.match(nobody, /^[0-9a-f]{8}$/)
    assert.notEqual(k, nobody)
    assert.deepEqual(events, [
      `start set ${k} -`, `end set ${k} ok`,
      `start get ${k} -`, `end get ${k} hit`,
      `start get ${nobody} -`, `end get ${nobody} miss`,
      'start set - -', 'error set - ERR_INVALID_KEY', 'end set - ERR_INVALID_KEY',
      'start clear - -', 'end clear - ok',
      `start getOrComputeAsync ${k} -`, `end getOrComputeAsync ${k} -`, `asyncStart getOrComputeAsync ${k} ok`, `asyncEnd getOrComputeAsync ${k} ok`,
      `start getOrComputeAsync ${k} -`, `end getOrComputeAsync ${k} -`, `error getOrComputeAsync ${k} ERR_INVALID_ARGUMENT`,
      `asyncStart getOrComputeAsync ${k} ERR_INVALID_ARGUMENT`, `asyncEnd getOrComputeAsync ${k} ERR_INVALID_ARGUMENT`,
    ])
    // One message object per call, from start to asyncEnd; raw keys appear nowhere.
    assert.equal(messages.size, 7)
    assert.ok(![...messages].some((m) => JSON.stringify({ ...m, map: undefined }).includes('user:1')))
    // Traced calls still count once each.
    assert.deepEqual(map.metrics().ops.get, { ok: 2, hits: 1, misses: 1, errors: {} })
    assert.deepEqual(map.metrics().ops.set?.errors, { ERR_INVALID_KEY: 1 })
  })

  test('a map without metrics publishes nothing; unsubscribed, a metrics map publishes nothing either', async () => {
    const bare = new SharedMap<string, number>()
    const measured = new SharedMap<string, number>({ metrics: true })
    const heard: string[] = []
    await listening({ start: (m) => void heard.push((m as MapOpMessage).op) }, () => {
      bare.set('a', 1)
      bare.get('a')
    })
    assert.deepEqual(heard, [])
    measured.set('a', 1)
    assert.deepEqual(heard, [])
    assert.equal(measured.metrics().ops.set?.ok, 1)
  })

  test("a subscriber hears its own thread's calls only: a worker's subscriber hears the worker's", async () => {
    const map = new SharedMap<string, number>({ metrics: true })
    const heardHere: string[] = []
    const n = 100
    let fromWorker: unknown
    await listening({ end: (m) => void heardHere.push((m as MapOpMessage).op) }, async () => {
      fromWorker = await start('channels', { handle: map.handle, prefix: 'w:', n }, metricsWorker).result
    })
    assert.deepEqual(heardHere, [])
    assert.deepEqual(fromWorker, { 'set ok': n, 'get hit': n, 'get miss': n, 'delete hit': n / 2, 'update ok': n, 'set ERR_INVALID_KEY': 1 })
    assert.equal(map.metrics().ops.get?.ok, 2 * n)
  })
})

describe('conmap:lock:wait', () => {
  test('a lock wait behind a worker holding the shard is published with its mode and seconds', async () => {
    const map = new SharedMap<string, number>({ concurrency: 'sharded', metrics: true })
    const waits: LockWaitMessage[] = []
    const heard = (message: unknown): void => {
      waits.push(message as LockWaitMessage)
    }
    const holder = start('holdFor', { handle: map.handle, key: 'hot', ms: 200 }, metricsWorker)
    await holder.event('holding')
    channel(LOCK_WAIT_CHANNEL).subscribe(heard)
    try {
      map.set('hot', 1)
      map.set('cold', 1)
    } finally {
      channel(LOCK_WAIT_CHANNEL).unsubscribe(heard)
    }
    await holder.result
    const write = map.metrics().lockWaits.write
    assert.ok(waits.length >= 1, 'the set behind the holder waited')
    const [first] = waits
    assert.equal(first?.map, map)
    assert.equal(first?.mode, 'write')
    assert.ok((first?.seconds ?? 0) > 0)
    // Every published wait is one of the histogram's timed waits.
    const timed = write.counts.slice(1).reduce((a, b) => a + b, 0)
    assert.ok(timed >= waits.length)
  })
})

