// Handles: each primitive's `.handle` is a plain structured-cloneable record that
// survives workerData and postMessage, and `X.attach` there gives the same primitive
// (same shared state, seen both ways). Anything else, a forged record, a foreign or
// truncated buffer, another kind's handle, is ERR_INVALID_HANDLE.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { Mutex, Once, RWMutex, Semaphore, WaitGroup } from '../../src/index.js'
import { start, withCode } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

const invalidHandle = withCode('ERR_INVALID_HANDLE')

function primitives() {
  return { mutex: new Mutex(), rw: new RWMutex(), sem: new Semaphore(3), wg: new WaitGroup(), once: new Once() }
}

/**
 * Sends the primitives to a worker through workerData and then postMessage (as their
 * handles, or as themselves: a clone keeps `.handle`), checks what the worker saw
 * and what the parent sees of its changes.
 */
async function sendAndProbe(send: (p: ReturnType<typeof primitives>) => Record<string, unknown>): Promise<void> {
  const p = primitives()
  p.mutex.lock()
  p.rw.rlock()
  const permit = p.sem.acquire(1)
  p.wg.add(2)
  p.once.do(() => undefined)
  const handles = send(p)

  const worker = start('handles', { handles })
  await worker.event('ready')
  worker.worker.postMessage(handles)
  const { fromWorkerData, fromMessage } = (await worker.result) as Record<string, Record<string, unknown>>
  const expected = {
    mutexLocked: true,
    mutexTry: false,
    rwReaders: 1,
    rwTryLock: false,
    rwTryRLock: true,
    semCapacity: 3,
    semAvailable: 2,
    semTook: true,
    onceDone: true,
    onceRan: false,
  }
  assert.deepEqual(fromWorkerData, { ...expected, wgCount: 2 })
  assert.deepEqual(fromMessage, { ...expected, wgCount: 1 }, 'the second attach sees the done() of the first')
  assert.equal(p.wg.count, 0, 'both done() calls of the worker reached the parent')
  p.wg.wait({ timeout: 0 })
  assert.equal(p.sem.available, 2)
  p.mutex.unlock()
  p.rw.runlock()
  permit.release()
}

test('every handle survives workerData and postMessage; the worker sees the parent\'s state and the parent sees the worker\'s', LIMIT, () =>
  sendAndProbe((p) => ({ mutex: p.mutex.handle, rw: p.rw.handle, sem: p.sem.handle, wg: p.wg.handle, once: p.once.handle })),
)

test('the primitives themselves sent as workerData and by postMessage attach there: their structured clones keep .handle', LIMIT, () =>
  sendAndProbe((p) => ({ ...p })),
)

test('a handle is plain data: structuredClone of it attaches to the same primitive in this thread too', LIMIT, () => {
  const mutex = new Mutex()
  const again = Mutex.attach(structuredClone(mutex.handle))
  mutex.lock()
  assert.equal(again.locked, true)
  assert.throws(() => again.lock(), withCode('ERR_DEADLOCK'), 'same thread, same lock')
  again.unlock()
  assert.equal(mutex.locked, false)
  assert.deepEqual(Object.keys(mutex.handle).sort(), ['buffer', 'byteOffset', 'conmap', 'registry', 'version'])
  const fromClone = Mutex.attach(structuredClone(mutex))
  assert.deepEqual(Object.keys(fromClone.handle).sort(), ['buffer', 'byteOffset', 'conmap', 'registry', 'version'], 'its own handle is the handle, not the clone')
  mutex.lock()
  assert.equal(fromClone.locked, true)
  mutex.unlock()
})

test('attach of forged objects, random and truncated buffers, and other kinds\' handles is ERR_INVALID_HANDLE', LIMIT, () => {
  const p = primitives()
  const kinds = [
    { name: 'Mutex', attach: (h: unknown) => Mutex.attach(h as never), handle: p.mutex.handle, other: p.rw.handle },
    { name: 'RWMutex', attach: (h: unknown) => RWMutex.attach(h as never), handle: p.rw.handle, other: p.mutex.handle },
    { name: 'Semaphore', attach: (h: unknown) => Semaphore.attach(h as never), handle: p.sem.handle, other: p.wg.handle },
    { name: 'WaitGroup', attach: (h: unknown) => WaitGroup.attach(h as never), handle: p.wg.handle, other: p.once.handle },
    { name: 'Once', attach: (h: unknown) => Once.attach(h as never), handle: p.once.handle, other: p.sem.handle },
  ]
  for (const { name, attach, handle, other } of kinds) {
    const copyOf = (bytes: number) => {
      const buffer = new SharedArrayBuffer(bytes)
      new Uint8Array(buffer).set(new Uint8Array(handle.buffer, 0, Math.min(bytes, handle.buffer.byteLength)))
      return buffer
    }
    const random = new SharedArrayBuffer(handle.buffer.byteLength)
    randomFillSync(new Uint8Array(random))
    const forged: Array<[string, unknown]> = [
      ['null', null],
      ['undefined', undefined],
      ['a string', name],
      ['a number', 42],
      ['an empty object', {}],
      ['a handle-shaped object without buffers', { conmap: name, version: 1, byteOffset: 0 }],
      ['a random SharedArrayBuffer', { ...handle, buffer: random }],
      ['an ArrayBuffer', { ...handle, buffer: new ArrayBuffer(handle.buffer.byteLength) }],
      ['a truncated buffer (4 bytes)', { ...handle, buffer: copyOf(4) }],
      ['a truncated buffer (last word cut)', { ...handle, buffer: copyOf(handle.buffer.byteLength - 4) }],
      ['a negative byteOffset', { ...handle, byteOffset: -8 }],
      ['an unaligned byteOffset', { ...handle, byteOffset: 4 }],
      ['a byteOffset past the end', { ...handle, byteOffset: handle.buffer.byteLength }],
      ['another version', { ...handle, version: 2 }],
      ['a random registry', { ...handle, registry: random }],
      ['a missing registry', { ...handle, registry: undefined }],
      [`another kind's handle`, other],
      [`another kind's buffer under this kind's name`, { ...other, conmap: name }],
    ]
    for (const [what, value] of forged) {
      assert.throws(() => attach(value), invalidHandle, `${name}.attach(${what})`)
    }
    // The real handle still attaches after all that.
    assert.doesNotThrow(() => attach(handle))
  }
})

test('a forged handle sent to a worker fails there with ERR_INVALID_HANDLE, revived in the parent', LIMIT, async () => {
  const rw = new RWMutex()
  await assert.rejects(start('attachForged', { handle: rw.handle }).result, invalidHandle)
})
