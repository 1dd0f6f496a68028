// Errors across threads: postMessage's structured clone drops an error's class and
// code; serializeError/reviveError carry them. A worker's ERR_LOCK_TIMEOUT arrives in
// the parent as a LockError with that code, its cause chain intact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import {
  ConcurrentMapError,
  ConmapError,
  ErrorCode,
  InvalidArgumentError,
  LockError,
  MapFullError,
  Mutex,
  conmapError,
  isSerializedError,
  reviveError,
  serializeError,
  type SerializedError,
} from '../../src/index.js'
import { start, withCode } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

/** What postMessage does to the record. */
function acrossThreads(err: unknown): Error {
  return reviveError(structuredClone(serializeError(err)))
}

test('a worker\'s ERR_LOCK_TIMEOUT arrives in the parent as a LockError with its code, message and stack', LIMIT, async () => {
  const mutex = new Mutex()
  mutex.lock()
  try {
    const err = await start('throwTimeout', { handle: mutex.handle }).result.then(
      () => assert.fail('the worker should have timed out'),
      (e: unknown) => e,
    )
    withCode('ERR_LOCK_TIMEOUT')(err)
    assert.ok(err instanceof LockError)
    assert.ok(err instanceof ConmapError)
    assert.equal(err.name, 'LockError')
    assert.match(err.message, /timed out/)
    assert.match(err.stack ?? '', /throwTimeout/, 'the stack is the worker\'s')
  } finally {
    mutex.unlock()
  }
})

test('a worker\'s error caused by ERR_LOCK_TIMEOUT arrives with the cause chain', LIMIT, async () => {
  const mutex = new Mutex()
  mutex.lock()
  try {
    const err = (await start('timeoutWithCause', { handle: mutex.handle }).result.catch((e: unknown) => e)) as Error
    assert.equal(err.message, 'the job could not start')
    assert.ok(!(err instanceof ConmapError))
    withCode('ERR_LOCK_TIMEOUT')(err.cause)
    assert.ok(err.cause instanceof LockError)
  } finally {
    mutex.unlock()
  }
})

test('every code comes back as its ConmapError subclass, with code, message, name and stack', LIMIT, () => {
  const classes: Record<string, Function> = {
    ERR_CONCURRENT_MAP_WRITES: ConcurrentMapError,
    ERR_MAP_POISONED: ConcurrentMapError,
    ERR_MAP_FULL: MapFullError,
    ERR_LOCK_TIMEOUT: LockError,
    ERR_OWNER_DIED: LockError,
    ERR_INVALID_HANDLE: InvalidArgumentError,
    ERR_INVALID_KEY: InvalidArgumentError,
  }
  for (const code of Object.values(ErrorCode)) {
    const original = conmapError(code, `message of ${code}`)
    const revived = acrossThreads(original)
    assert.ok(revived instanceof ConmapError, code)
    assert.equal(revived.constructor, original.constructor, code)
    const expectedClass = classes[code]
    if (expectedClass !== undefined) assert.ok(revived instanceof expectedClass, code)
    assert.equal((revived as ConmapError).code, code)
    assert.equal(revived.message, original.message)
    assert.equal(revived.name, original.name)
    assert.equal(revived.stack, original.stack)
  }
})

test('plain errors keep their name and code; other throwables become an Error with their text', LIMIT, () => {
  let fsError: unknown
  try {
    readFileSync('/definitely/not/here')
  } catch (err) {
    fsError = err
  }
  const revivedFs = acrossThreads(fsError) as Error & { code?: unknown }
  assert.equal(revivedFs.code, 'ENOENT')
  assert.equal(revivedFs.message, (fsError as Error).message)
  assert.ok(!(revivedFs instanceof ConmapError))

  const typeError = acrossThreads(new TypeError('not a function'))
  assert.equal(typeError.name, 'TypeError')
  assert.equal(typeError.message, 'not a function')
  assert.equal((typeError as { code?: unknown }).code, undefined)

  const unknownCode = Object.assign(new Error('x'), { code: 'ERR_SOMETHING_ELSE' })
  assert.equal((acrossThreads(unknownCode) as { code?: unknown }).code, 'ERR_SOMETHING_ELSE')
  assert.ok(!(acrossThreads(unknownCode) instanceof ConmapError))

  for (const [thrown, text] of [['a string', 'a string'], [42, '42'], [undefined, 'undefined'], [null, 'null'], [{ a: 1 }, '[object Object]']] as const) {
    const revived = acrossThreads(thrown)
    assert.ok(revived instanceof Error)
    assert.equal(revived.message, text)
    assert.equal(revived.name, 'Error')
  }
})

test('causes survive: nested errors, ConmapError causes, non-Error values, uncloneable values, cycles', LIMIT, () => {
  const root = new TypeError('Atomics.wait cannot be called in this context')
  const forbidden = conmapError(ErrorCode.WAIT_FORBIDDEN, 'may not block', root)
  const outer = new Error('job failed', { cause: forbidden })
  const revived = acrossThreads(outer)
  withCode('ERR_WAIT_FORBIDDEN')(revived.cause)
  assert.ok(revived.cause instanceof LockError)
  const inner = (revived.cause as Error).cause as Error
  assert.equal(inner.name, 'TypeError')
  assert.equal(inner.message, root.message)

  const withValue = acrossThreads(new Error('e', { cause: { retryAfterMs: 50 } }))
  assert.deepEqual(withValue.cause, { retryAfterMs: 50 })

  const withFunction = acrossThreads(new Error('e', { cause: () => 1 }))
  assert.equal(typeof withFunction.cause, 'string', 'an uncloneable cause travels as its text')

  const cyclic = new Error('loop')
  ;(cyclic as { cause?: unknown }).cause = cyclic
  let depth = 0
  for (let e: unknown = acrossThreads(cyclic); e instanceof Error; e = e.cause) depth++
  assert.ok(depth >= 2 && depth <= 10, `a cycle is cut off, depth ${depth}`)

  assert.equal('cause' in acrossThreads(new Error('no cause')), false)
})

test('isSerializedError recognises records only', LIMIT, () => {
  const record: SerializedError = serializeError(new Error('x'))
  assert.equal(isSerializedError(record), true)
  assert.equal(isSerializedError(structuredClone(record)), true)
  for (const value of [new Error('x'), { message: 'x' }, null, undefined, 'x', { conmapSerializedError: 2 }]) {
    assert.equal(isSerializedError(value), false)
  }
})

/**
 * A worker that throws ERR_MAP_FULL from a real full map, and hands the raw error to
 * its parent: posted as it is (what a pool does with a failed task), or uncaught.
 */
function fullMapWorker(uncaught: boolean): Worker {
  const index = new URL('../../src/index.js', import.meta.url).href
  return new Worker(
    `import { parentPort } from 'node:worker_threads'
     const { SharedMap } = await import(${JSON.stringify(index)})
     const map = new SharedMap({ maxBytes: 4096, codec: 'string' })
     try {
       for (let i = 0; ; i++) map.set('k' + i, 'v'.repeat(64))
     } catch (err) {
       if (${uncaught}) throw err
       parentPort.postMessage(err)
     }`,
    { eval: true },
  )
}

for (const uncaught of [false, true]) {
  test(`a ConmapError ${uncaught ? 'thrown uncaught in a worker' : 'posted raw by a worker'} keeps its code in its stack; reviveError gives it back`, LIMIT, async () => {
    const worker = fullMapWorker(uncaught)
    const received = await new Promise<unknown>((resolve) => {
      worker.once('message', resolve)
      worker.once('error', resolve)
    })
    await worker.terminate()
    assert.ok(received instanceof Error)
    assert.ok(!(received instanceof ConmapError), 'a structured clone drops the class')
    assert.match(received.message, /the map is full/)
    assert.match(received.stack ?? '', /^MapFullError \[ERR_MAP_FULL\]: the map is full/, 'the class and code head the stack')
    const revived = reviveError(received)
    assert.ok(revived instanceof MapFullError)
    withCode('ERR_MAP_FULL')(revived)
    assert.equal(revived.message, received.message)
    assert.equal(revived.stack, received.stack, 'the worker\'s stack is kept')
  })
}

test('reviveError leaves errors alone that are no clone of a ConmapError', LIMIT, () => {
  const plain = new Error('plain')
  assert.equal(reviveError(plain), plain)
  const own = conmapError(ErrorCode.INVALID_KEY, 'own')
  assert.equal(reviveError(own), own)
  const forged = new Error('looks like one')
  forged.stack = 'Error [ERR_NOT_A_CODE]: looks like one'
  assert.equal(reviveError(forged), forged)
  // Every code heads its error's stack, and survives structuredClone.
  for (const code of Object.values(ErrorCode)) {
    const cloned = structuredClone(conmapError(code, 'm'))
    withCode(code)(reviveError(cloned))
  }
})
