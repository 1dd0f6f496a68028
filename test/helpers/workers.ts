/**
 * Test helpers for real worker threads: start a fixture worker running a named
 * scenario, wait for messages, and collect results. Workers load the compiled
 * fixtures from dist/, like users' workers load dist/.
 *
 * Start line: workers started in one synchronous batch (e.g. `Array.from({ length: 4 },
 * () => start(...))`) begin their scenarios at the same moment. Booting a worker takes
 * tens of milliseconds, far longer than a scenario's loop, so without the start line
 * staggered boots would serialise the workers and races or contention would not happen.
 * The batch size is published by a microtask, so a test that blocks its thread right
 * after starting workers (a blocking wait()) should `await null` first; otherwise the
 * workers wait at the line for 1 s before starting anyway.
 */
import { after } from 'node:test'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import assert from 'node:assert/strict'
import { reviveError, isSerializedError, isConmapError, type ErrorCode } from '../../src/index.js'
import { GateState } from '../../src/map/failpoints.js'

export const syncWorkerFile = fileURLToPath(new URL('../fixtures/sync-worker.js', import.meta.url))
export const mapWorkerFile = fileURLToPath(new URL('../fixtures/map-worker.js', import.meta.url))

export interface Started {
  readonly worker: Worker
  /** Resolves with the scenario's result; rejects with the revived error it threw. */
  readonly result: Promise<unknown>
  /** Resolves when the worker posts `{ event: name }`. */
  event(name: string): Promise<unknown>
}

/** The start line of the batch being started (layout in the fixture): word 0 = workers arrived, word 1 = batch size (0 until known). */
let batch: { line: SharedArrayBuffer; size: number } | undefined

function startLine(): SharedArrayBuffer {
  if (batch === undefined) {
    const current = { line: new SharedArrayBuffer(24), size: 0 }
    batch = current
    queueMicrotask(() => {
      batch = undefined
      const words = new Int32Array(current.line)
      Atomics.store(words, 1, current.size)
      Atomics.notify(words, 0)
    })
  }
  batch.size++
  return batch.line
}

/** Workers still running. A test that fails midway may leave a holder parked on a gate: the file's end terminates it, so the file ends instead of hanging. */
const running = new Set<Worker>()
after(async () => {
  await Promise.all([...running].map((worker) => worker.terminate()))
})

export function start(scenario: string, data: Record<string, unknown> = {}, file = syncWorkerFile): Started {
  const worker = new Worker(file, { workerData: { scenario, startLine: startLine(), ...data } })
  running.add(worker)
  worker.once('exit', () => running.delete(worker))
  const waiters = new Map<string, Array<(value: unknown) => void>>()
  const seen = new Map<string, unknown>()
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on('message', (message: { event?: string; value?: unknown; result?: unknown; error?: unknown }) => {
      if (message.event !== undefined) {
        seen.set(message.event, message.value)
        for (const resolveEvent of waiters.get(message.event) ?? []) resolveEvent(message.value)
        waiters.delete(message.event)
      } else if (isSerializedError(message.error)) {
        reject(reviveError(message.error))
      } else {
        resolve(message.result)
      }
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)))
  })
  result.catch(() => undefined)
  return {
    worker,
    result,
    event(name) {
      if (seen.has(name)) return Promise.resolve(seen.get(name))
      return new Promise((resolve, reject) => {
        const list = waiters.get(name) ?? []
        list.push(resolve)
        waiters.set(name, list)
        // A worker that ends (or dies, e.g. of a load error) without posting the event
        // must fail the wait, not leave it pending with nothing to keep the loop alive.
        const missed = (why: string, cause?: unknown) => {
          if (!seen.has(name)) reject(new Error(`the '${scenario}' worker ${why} before posting '${name}'`, cause === undefined ? undefined : { cause }))
        }
        result.then(
          () => missed('finished'),
          (err: unknown) => missed(`failed (${err instanceof Error ? err.message : String(err)})`, err),
        )
      })
    },
  }
}

export async function exited(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return
  await once(worker, 'exit')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A one-word flag in shared memory that workers wait on (`hold` scenario) until the test opens it. */
export class Gate {
  readonly buffer = new SharedArrayBuffer(4)

  open(): void {
    const word = new Int32Array(this.buffer)
    Atomics.store(word, 0, 1)
    Atomics.notify(word, 0)
  }
}

/** A validator for assert.throws/rejects: a ConmapError with `code`, or an assertion error naming what came instead. */
export function withCode(code: ErrorCode): (err: unknown) => true {
  return (err) => {
    if (isConmapError(err, code)) return true
    const seen = err instanceof Error ? `${err.name} ${String((err as { code?: unknown }).code)}: ${err.message}` : String(err)
    throw new assert.AssertionError({ message: `expected a ConmapError with code ${code}, got ${seen}`, actual: err, expected: code })
  }
}

/** True when `promise` has not settled within `ms`. */
export async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await sleep(ms)
  return !settled
}

/** Bounds for a wait that must end by its timeout: not early, and not much later even on a loaded 2-core machine. */
export function assertTimedOut(elapsed: number, timeout: number): void {
  assert.ok(elapsed >= timeout - 5, `gave up after ${elapsed.toFixed(1)} ms, before its ${timeout} ms timeout`)
  assert.ok(elapsed < timeout + 1500, `gave up after ${elapsed.toFixed(1)} ms, far past its ${timeout} ms timeout`)
}

/** Awaits `run` (sync or async), expects ERR_LOCK_TIMEOUT, and checks it came on time. */
export async function expectTimeout(run: () => unknown, timeout: number): Promise<void> {
  const began = performance.now()
  await assert.rejects(async () => run(), withCode('ERR_LOCK_TIMEOUT'))
  assertTimedOut(performance.now() - began, timeout)
}

/** Whether a thread parked at an armed failpoint (its gate reads REACHED) within ms. */
export async function reached(gate: SharedArrayBuffer, ms: number): Promise<boolean> {
  const word = new Int32Array(gate)
  const wait = Atomics.waitAsync(word, 0, GateState.WAITING, ms)
  const outcome = wait.async ? await wait.value : wait.value
  return outcome !== 'timed-out' && Atomics.load(word, 0) === GateState.REACHED
}
