/**
 * The benchmark worker: one job per worker, then it exits (a fresh thread per
 * measurement keeps each contender's JIT state its own).
 *  - 'window': open one adapter, warm up for warmupMs, report ready on the gate and
 *    wait for the main thread to release every worker at once, then run the workload
 *    for windowMs and report operations, latency histograms and misses.
 *  - 'postmessage': the same window, through a MessagePort to the main thread's Map.
 *  - 'calibrate': the same window of pure arithmetic.
 *  - 'passes': the single-thread passes (passes.ts), no gate.
 *  - 'cache-hits', 'cache-cost': the cache section's loops (cache-loops.ts).
 *  - 'guard-cost': get and set through guard() or on the bare map (guard-loops.ts).
 *  - 'cache-compute': concurrent async tasks through getOrComputeAsync or lru-cache's
 *    fetch() (cache-compute.ts).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { openAdapter, type Adapter, type TargetSpec } from './adapters.js'
import { runComputeJob, type CacheComputeJob } from './cache-compute.js'
import { runCacheJob, type CacheCostJob, type CacheHitsJob } from './cache-loops.js'
import { runGuardCostJob, type GuardCostJob } from './guard-loops.js'
import { valuePool, workerKeys } from './contenders.js'
import { keySequence, type KeyOrder } from './keys.js'
import { arithmeticUntil, newLoopState, runUntil, runUntilAsync, warmUp, type AsyncStore, type LoopInput, type LoopState } from './loops.js'
import { runPasses, type PassesJob } from './passes.js'
import type { ValueKind, Workload } from './result.js'

interface Timing {
  readonly windowMs: number
  readonly warmupMs: number
  /** The longest warm-up, waiting for the loop's rate to settle (loops.ts warmUp). */
  readonly maxWarmupMs: number
}

export interface WindowJob extends Timing {
  readonly type: 'window'
  readonly target: TargetSpec | { readonly kind: 'map-reference' }
  readonly values: ValueKind
  readonly keys: number
  readonly keyOrder: KeyOrder
  readonly workload: Workload
  readonly index: number
  readonly workers: number
}

export interface PostMessageJob extends Timing {
  readonly type: 'postmessage'
  readonly port: MessagePort
  readonly values: ValueKind
  readonly keys: number
  readonly keyOrder: KeyOrder
  readonly readShare: number
  readonly index: number
  readonly workers: number
}

export interface CalibrateJob extends Omit<Timing, 'maxWarmupMs'> {
  readonly type: 'calibrate'
}

export type Job = WindowJob | PostMessageJob | CalibrateJob | PassesJob | CacheHitsJob | CacheCostJob | CacheComputeJob | GuardCostJob

export interface WindowResult {
  readonly ops: number
  readonly elapsedMs: number
  readonly misses: number
  readonly updates: number
  readonly reads: Uint32Array
  readonly writes: Uint32Array
}

export type WorkerReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string }

/** Key positions per worker: a window at ~3M ops/s visits each at most a few times. */
const ORDER_LENGTH = 1 << 20

const { job, gate } = workerData as { job: Job; gate: SharedArrayBuffer }
const gateView = new Int32Array(gate)

run(job).then(
  (result) => parentPort?.postMessage({ ok: true, result } satisfies WorkerReply),
  (err: unknown) => {
    const error = err instanceof Error ? `${err.name}${'code' in err ? ` ${String(err.code)}` : ''}: ${err.message}` : String(err)
    parentPort?.postMessage({ ok: false, error } satisfies WorkerReply)
  },
)

async function run(job: Job): Promise<unknown> {
  switch (job.type) {
    case 'passes':
      return runPasses(job)
    case 'calibrate': {
      arithmeticUntil(performance.now() + job.warmupMs)
      waitAtGate()
      const began = performance.now()
      const ops = arithmeticUntil(began + job.windowMs)
      return { ops, elapsedMs: performance.now() - began }
    }
    case 'window':
      return runWindow(job)
    case 'postmessage':
      return runPostMessage(job)
    case 'cache-hits':
    case 'cache-cost':
      return runCacheJob(job, waitAtGate)
    case 'cache-compute':
      return runComputeJob(job, waitAtGate)
    case 'guard-cost':
      return runGuardCostJob(job, waitAtGate)
  }
}

async function runWindow(job: WindowJob): Promise<WindowResult> {
  const keys = workerKeys(job.keys)
  const pool = valuePool(job.values)
  const adapter = job.target.kind === 'map-reference' ? await preloadedMap(keys, pool, job.workload) : await openAdapter(job.target, job.values, job.index + 1)
  const input: LoopInput = { keys, order: keySequence(job.keyOrder, job.keys, ORDER_LENGTH, job.index), pool, workload: job.workload, index: job.index, workers: job.workers }
  const state = newLoopState(job.index)
  try {
    warmUp(adapter, input, state, job.warmupMs, job.maxWarmupMs)
    const warm = measured(state)
    waitAtGate()
    const began = performance.now()
    runUntil(adapter, input, state, began + job.windowMs)
    return { ...since(state, warm), elapsedMs: performance.now() - began, updates: state.updates }
  } finally {
    await adapter.close()
  }
}

/** The one-thread reference: a Map of this worker's own, loaded like the shared ones. */
async function preloadedMap(keys: readonly string[], pool: readonly unknown[], workload: Workload): Promise<Adapter> {
  const adapter = await openAdapter({ kind: 'map' }, 'string')
  const counters = workload.kind === 'op' && workload.op === 'update'
  for (let i = 0; i < keys.length; i++) adapter.set(keys[i] as string, counters ? 0 : pool[i & 63])
  return adapter
}

async function runPostMessage(job: PostMessageJob): Promise<WindowResult> {
  const keys = workerKeys(job.keys)
  const pool = valuePool(job.values)
  const port = job.port
  let pending: ((value: unknown) => void) | undefined
  port.on('message', (value: unknown) => {
    const resolve = pending
    pending = undefined
    resolve?.(value)
  })
  const call = (message: readonly unknown[]) =>
    new Promise<unknown>((resolve) => {
      pending = resolve
      port.postMessage(message)
    })
  const store: AsyncStore = { get: (key) => call([0, key]), set: (key, value) => call([1, key, value]) }
  const workload: Workload = { kind: 'mix', readShare: job.readShare }
  const input: LoopInput = { keys, order: keySequence(job.keyOrder, job.keys, ORDER_LENGTH, job.index), pool, workload, index: job.index, workers: job.workers }
  const state = newLoopState(job.index)
  await runUntilAsync(store, input, state, performance.now() + job.warmupMs, job.readShare)
  const warm = measured(state)
  waitAtGate()
  const began = performance.now()
  await runUntilAsync(store, input, state, began + job.windowMs, job.readShare)
  const elapsedMs = performance.now() - began
  port.close()
  return { ...since(state, warm), elapsedMs, updates: 0 }
}

/** What the warm-up did, to subtract: the window reports its own work only. */
function measured(state: LoopState): { ops: number; misses: number } {
  const copy = { ops: state.ops, misses: state.misses }
  state.reads.fill(0)
  state.writes.fill(0)
  return copy
}

function since(state: LoopState, warm: { ops: number; misses: number }): Omit<WindowResult, 'elapsedMs' | 'updates'> {
  return { ops: state.ops - warm.ops, misses: state.misses, reads: state.reads, writes: state.writes }
}

function waitAtGate(): void {
  Atomics.add(gateView, 1, 1)
  Atomics.notify(gateView, 1)
  Atomics.wait(gateView, 0, 0)
}
