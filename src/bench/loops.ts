/**
 * The measuring loops that run inside benchmark workers. Each works in batches of
 * 256 operations between clock reads, and times one operation in 32 on its own
 * (two performance.now() calls cost ~60 ns, so timing all of them would measure the
 * clock); those samples give the latency percentiles. Keys come from a per-worker
 * precomputed key order (keys.ts: uniform or Zipf), the choice of read or write and
 * of the value from a per-worker xorshift generator. Every read is checked: a miss on
 * a key that must be present is counted and fails the run.
 */
import type { Adapter } from './adapters.js'
import type { Op, Workload } from './result.js'
import { newHistogram, record } from './stats.js'

const BATCH = 256
const SAMPLE_MASK = 31
const WARMUP_OPS = 30_000
const SLICE_MS = 25
const SETTLED_SLICES = 4

export interface LoopInput {
  readonly keys: readonly string[]
  /** Indices into keys, visited in turn (wrapping); its length is a power of two. */
  readonly order: Int32Array
  readonly pool: readonly unknown[]
  readonly workload: Workload
  /** This worker's index and the number of workers (delete churn works on owned keys). */
  readonly index: number
  readonly workers: number
}

export interface LoopState {
  x: number
  /** The next position in input.order. */
  at: number
  ops: number
  misses: number
  /** Updates applied, warm-up included: the update check compares them with the map. */
  updates: number
  readonly reads: Uint32Array
  readonly writes: Uint32Array
}

export function newLoopState(seed: number): LoopState {
  return { x: (Math.imul(seed + 1, 0x9e3779b1) | 0) || 1, at: 0, ops: 0, misses: 0, updates: 0, reads: newHistogram(), writes: newHistogram() }
}

/** The value update() writes in the per-operation benchmark: a counter. */
export function increment(value: unknown): number {
  return (value as number) + 1
}

/** Runs batches of `input.workload` until `deadline` (a performance.now() time). */
export function runUntil(adapter: Adapter, input: LoopInput, state: LoopState, deadline: number): void {
  const workload = input.workload
  while (performance.now() < deadline) {
    if (workload.kind === 'mix') mixBatch(adapter, input, state, Math.round(workload.readShare * 1024))
    else opBatch(adapter, input, state, workload.op)
  }
}

function mixBatch(adapter: Adapter, input: LoopInput, state: LoopState, threshold: number): void {
  const { keys, pool, order } = input
  const mask = order.length - 1
  let x = state.x
  let at = state.at
  let misses = 0
  for (let i = 0; i < BATCH; i++) {
    const key = keys[order[at++ & mask] as number] as string
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const read = (x & 1023) < threshold
    if ((i & SAMPLE_MASK) === 0) {
      const began = performance.now()
      if (read) misses += adapter.get(key) === undefined ? 1 : 0
      else adapter.set(key, pool[(x >>> 10) & 63])
      record(read ? state.reads : state.writes, (performance.now() - began) * 1e6)
    } else if (read) misses += adapter.get(key) === undefined ? 1 : 0
    else adapter.set(key, pool[(x >>> 10) & 63])
  }
  state.x = x
  state.at = at & mask
  state.misses += misses
  state.ops += BATCH
}

/**
 * Warm-up: at least warmupMs and WARMUP_OPS operations, then on in short slices
 * until the loop's rate has stopped rising (no slice 5% above the best for
 * SETTLED_SLICES slices), within maxMs.
 *
 * Why (issue 9): a fixed warm-up of 50-100 ms ended while V8 was still tiering the
 * loop and the contender's code up. From a fresh isolate the 90/10 mix over 100k keys
 * runs at ~0.5M ops/s in its first 50 ms, ~1.0M in the next, and levels off at
 * ~1.6M only after ~200 ms. Worse, the optimising compiler runs on background
 * threads, which a second busy worker on 2 cores starves: the 2-worker windows ran
 * on less optimised code than the 1-worker ones, and 'sharded' scaled 1.01x (quick)
 * or 1.59x (full) where a lean loop given time to warm scales ~2x. Neither the
 * bench's loop itself (adapter call, one op in 32 timed) nor its keys or values made
 * a difference: on the same map with the same warm-up the lean loop and this one
 * measured the same (scripts/lean-mix.mjs).
 */
export function warmUp(adapter: Adapter, input: LoopInput, state: LoopState, warmupMs: number, maxMs: number): void {
  const began = performance.now()
  runUntil(adapter, input, state, began + warmupMs)
  let best = 0
  let sinceBest = 0
  while (performance.now() < began + maxMs && (state.ops < WARMUP_OPS || sinceBest < SETTLED_SLICES)) {
    const ops = state.ops
    const sliceBegan = performance.now()
    runUntil(adapter, input, state, sliceBegan + SLICE_MS)
    const rate = (state.ops - ops) / (performance.now() - sliceBegan)
    if (rate > best * 1.05) {
      best = rate
      sinceBest = 0
    } else sinceBest++
  }
}

/**
 * One operation alone. 'delete' deletes a key this worker owns and sets it back at
 * once (both count as operations, only the delete is timed), so the map keeps all its
 * keys and every delete must find its key.
 */
function opBatch(adapter: Adapter, input: LoopInput, state: LoopState, op: Op): void {
  const { keys, pool, order, index, workers } = input
  const mask = order.length - 1
  const owned = Math.floor(keys.length / workers)
  const histogram = op === 'get' ? state.reads : state.writes
  let x = state.x
  let at = state.at
  let misses = 0
  for (let i = 0; i < BATCH; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const timed = (i & SAMPLE_MASK) === 0
    const began = timed ? performance.now() : 0
    if (op === 'get') misses += adapter.get(keys[order[at++ & mask] as number] as string) === undefined ? 1 : 0
    else if (op === 'set') adapter.set(keys[order[at++ & mask] as number] as string, pool[x & 63])
    else if (op === 'update') adapter.update(keys[order[at++ & mask] as number] as string, increment)
    else {
      const key = keys[((x >>> 0) % owned) * workers + index] as string
      misses += adapter.delete(key) ? 0 : 1
      if (timed) record(histogram, (performance.now() - began) * 1e6)
      adapter.set(key, pool[x & 63])
      continue
    }
    if (timed) record(histogram, (performance.now() - began) * 1e6)
  }
  state.x = x
  state.at = at & mask
  state.misses += misses
  state.ops += op === 'delete' ? 2 * BATCH : BATCH
  if (op === 'update') state.updates += BATCH
}

/** Request/response over a MessagePort: the main thread's Map answers each call. */
export interface AsyncStore {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<unknown>
}

/** The mix through postMessage; every operation is timed (each costs microseconds). */
export async function runUntilAsync(store: AsyncStore, input: LoopInput, state: LoopState, deadline: number, readShare: number): Promise<void> {
  const { keys, pool, order } = input
  const threshold = Math.round(readShare * 1024)
  while (performance.now() < deadline) {
    for (let i = 0; i < BATCH; i++) {
      const key = keys[order[state.at++ & (order.length - 1)] as number] as string
      let x = state.x
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      state.x = x
      const began = performance.now()
      if ((x & 1023) < threshold) {
        if ((await store.get(key)) === undefined) state.misses++
        record(state.reads, (performance.now() - began) * 1e6)
      } else {
        await store.set(key, pool[(x >>> 10) & 63])
        record(state.writes, (performance.now() - began) * 1e6)
      }
    }
    state.ops += BATCH
  }
}

/** Pure arithmetic on a private array: what one worker can do with no sharing at all. */
export function arithmeticUntil(deadline: number): number {
  const scratch = new Float64Array(1 << 12)
  let ops = 0
  let x = 1
  while (performance.now() < deadline) {
    for (let i = 0; i < 10_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0
      scratch[x & 4095] = (scratch[x & 4095] ?? 0) + 1
    }
    ops += 10_000
  }
  return ops
}
