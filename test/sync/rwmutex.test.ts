import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RWMutex, isConmapError } from '../../src/index.js'
import { Gate, sleep, start } from '../helpers/workers.js'

test('readers under rlock never observe a half-written multi-word record', async () => {
  const rw = new RWMutex()
  const record = new SharedArrayBuffer(64 * 4)
  const stop = new SharedArrayBuffer(4)
  const readers = Array.from({ length: 2 }, () => start('rwReader', { handle: rw.handle, record, stop }))
  const writer = start('rwWriter', { handle: rw.handle, record, rounds: 20_000 })
  await writer.result
  Atomics.store(new Int32Array(stop), 0, 1)
  const results = (await Promise.all(readers.map((r) => r.result))) as Array<{ reads: number; torn: number }>
  for (const { reads, torn } of results) {
    assert.ok(reads > 0)
    assert.equal(torn, 0)
  }
  assert.equal(new Int32Array(record)[63], 20_000)
})

test('a stream of overlapping readers does not starve a writer (writer preference)', async () => {
  const rw = new RWMutex()
  const stop = new SharedArrayBuffer(4)
  const readers = Array.from({ length: 3 }, () => start('readerStream', { handle: rw.handle, stop }))
  // Every reader must be in its stream before the writer comes, or nothing is tested.
  await Promise.all(readers.map((r) => r.event('reading')))
  const began = performance.now()
  const acquired = await rw.acquireAsync({ timeout: 5000 })
  const waited = performance.now() - began
  assert.equal(rw.writeLocked, true)
  acquired.release()
  Atomics.store(new Int32Array(stop), 0, 1)
  const reads = (await Promise.all(readers.map((r) => r.result))) as number[]
  assert.ok(reads.every((n) => n > 0), 'readers made progress')
  assert.ok(waited < 1000, `the writer waited ${waited.toFixed(0)} ms behind 2 ms readers`)
})

test('many readers hold the lock at once; a writer excludes them', () => {
  const rw = new RWMutex()
  rw.rlock()
  rw.rlock()
  assert.equal(rw.readers, 2)
  assert.equal(rw.tryLock(), false)
  rw.runlock()
  rw.runlock()
  assert.equal(rw.readers, 0)
  assert.equal(rw.tryLock(), true)
  assert.equal(rw.tryRLock(), false)
  rw.unlock()
  assert.equal(rw.tryRLock(), true)
  rw.runlock()
})

test('misuse is reported, not hung: unlock without lock, recursive rlock behind a writer, lock while reading', async () => {
  const rw = new RWMutex()
  assert.throws(() => rw.unlock(), (e) => isConmapError(e, 'ERR_NOT_LOCKED'))
  assert.throws(() => rw.runlock(), (e) => isConmapError(e, 'ERR_NOT_LOCKED'))
  rw.rlock()
  assert.throws(() => rw.lock(), (e) => isConmapError(e, 'ERR_DEADLOCK'))
  const writer = rw.lockAsync({ timeout: 5000 })
  await sleep(20)
  assert.throws(() => rw.rlock(), (e) => isConmapError(e, 'ERR_DEADLOCK'))
  rw.runlock()
  await writer
  rw.unlock()
  assert.equal(rw.readers, 0)
  assert.equal(rw.writeLocked, false)
})

test('rlockAsync waits behind a writer and proceeds after it', async () => {
  const rw = new RWMutex()
  rw.lock()
  let got = false
  const reader = rw.rlockAsync().then(() => {
    got = true
  })
  await sleep(30)
  assert.equal(got, false)
  rw.unlock()
  await reader
  assert.equal(got, true)
  rw.runlock()
})

test('RWMutex timeouts fire and leave the lock usable', async () => {
  const rw = new RWMutex()
  rw.rlock()
  const began = performance.now()
  await assert.rejects(rw.lockAsync({ timeout: 80 }), (e) => isConmapError(e, 'ERR_LOCK_TIMEOUT'))
  const waited = performance.now() - began
  assert.ok(waited >= 75 && waited < 1000, `waited ${waited}`)
  // The aborted writer must not keep readers out.
  assert.equal(rw.tryRLock(), true)
  rw.runlock()
  rw.runlock()
  assert.equal(rw.tryLock(), true)
  rw.unlock()
})

test('a reader killed while waiting behind a writer does not slow later writers (its waiting mark dies with it)', async () => {
  const { watch } = await import('../../src/index.js')
  const { exited } = await import('../helpers/workers.js')
  const rw = new RWMutex()
  rw.lock()
  const reader = start('hold', { kind: 'rwmutex-read', handle: rw.handle })
  watch(reader.worker)
  await sleep(150) // the reader is now asleep behind the write lock
  await reader.worker.terminate()
  await exited(reader.worker)
  rw.unlock()
  // Had the dead waiter stayed counted, every lock() would wait a 50 ms slice for it.
  const began = performance.now()
  for (let i = 0; i < 10; i++) {
    rw.lock()
    rw.unlock()
  }
  const elapsed = performance.now() - began
  assert.ok(elapsed < 250, `10 write locks took ${elapsed.toFixed(0)} ms`)
  assert.equal(rw.tryRLock(), true)
  rw.runlock()
})

/**
 * White-box: the reader slots of an RWMutex as (owner id, held word) pairs, up to the
 * first never-used one (layout in rw-lock.ts and holder-slots.ts).
 */
function readerSlots(rw: RWMutex): Array<{ owner: number; held: number }> {
  const words = new Int32Array(rw.handle.buffer, rw.handle.byteOffset)
  const slots = []
  for (let at = 9; at < words.length && words[at] !== 0; at += 2) slots.push({ owner: words[at] ?? 0, held: words[at + 1] ?? 0 })
  return slots
}
const WAITING_FLAG = 1 << 30

test('an rlockAsync() whose sibling gave up never writes the slot another thread has taken since', { timeout: 30_000 }, async () => {
  // The sibling's give-up frees the slot the two shared; another reader takes it and
  // waits with a stalled event loop, so only the first sibling can touch it. Had the
  // first kept the slot's index across its wait, its cleanup would clear that reader's
  // mark and free its slot: a blind write one lost update away from a phantom reader
  // in a freed slot, which no writer ever reclaims.
  const rw = new RWMutex()
  rw.lock()
  const siblingsGate = new Gate()
  const siblings = start('rlockAsyncSiblings', { handle: rw.handle, gate: siblingsGate.buffer })
  assert.equal(await siblings.event('gave-up'), 'ERR_LOCK_TIMEOUT')
  const otherGate = new Gate()
  const other = start('rlockAsyncStalled', { handle: rw.handle, gate: otherGate.buffer })
  await other.event('waiting')
  const otherId = other.worker.threadId + 1
  const taken = readerSlots(rw).findIndex((slot) => slot.owner === otherId)
  assert.ok(taken >= 0, 'the other reader holds a slot while it waits')
  siblingsGate.open()
  await siblings.event('cleaned')
  const after = readerSlots(rw)[taken]
  assert.equal(after?.owner, otherId, `the other reader's slot ${taken} now names ${String(after?.owner)} (the siblings are ${siblings.worker.threadId + 1})`)
  assert.equal(((after?.held ?? 0) & WAITING_FLAG) !== 0, true, 'its waiting mark is intact')
  rw.unlock()
  otherGate.open()
  assert.deepEqual(await Promise.all([siblings.result, other.result]), ['read', 'read'])
  assert.equal(rw.readers, 0)
  assert.equal(await start('try', { kind: 'rwmutex-write', handle: rw.handle }).result, true)
})
