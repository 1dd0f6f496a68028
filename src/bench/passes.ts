/**
 * The single-thread measurement, run in a fresh worker per contender and round so
 * every contender gets its own JIT state: after warm-up passes on throwaway
 * instances, set N fresh keys (the structure grows as it would in use), then get,
 * update and delete a shuffled subset of them (over few keys, the whole cycle again on
 * new instances until opsPerPass operations, and the median). Contents are checked
 * between passes, untimed.
 */
import { openAdapter, type Adapter, type TargetSpec } from './adapters.js'
import { entryValue } from './contenders.js'
import { median } from './stats.js'
import type { Op, ValueKind } from './result.js'

export interface PassesJob {
  readonly type: 'passes'
  readonly target: TargetSpec
  readonly values: ValueKind
  readonly keys: number
  readonly opsPerPass: number
  readonly warmupOps: number
  /** False where the contender cannot delete reliably (the pass is skipped and reported so). */
  readonly deletes: boolean
}

export interface PassesResult {
  readonly nsPerOp: Readonly<Record<Op, number | null>>
}

/** Warm-up passes run on throwaway instances until job.warmupOps operations (or this long). */
const WARMUP_KEYS = 20_000
const WARMUP_MAX_MS = 1500
const REPEAT_MAX_MS = 1500

export async function runPasses(job: PassesJob): Promise<PassesResult> {
  const keys = Array.from({ length: job.keys }, (_, i) => `user:${i}`)
  const order = shuffled(job.keys)
  const measured = Math.min(job.keys, job.opsPerPass)
  const make = entryValue(job.values)
  // Enough calls to reach optimised code, on at most a quarter as many keys.
  const warmKeys = Math.min(WARMUP_KEYS, Math.ceil(job.keys / 4))
  const warmBegan = performance.now()
  for (let done = 0; done < job.warmupOps && performance.now() - warmBegan < WARMUP_MAX_MS; done += 4 * warmKeys) {
    const warm = await openAdapter(job.target, job.values)
    passes(warm, keys.slice(0, warmKeys), shuffled(warmKeys), warmKeys, make, job.values, job.deletes)
    await warm.close()
  }
  // Few keys make short passes: repeat the cycle on fresh instances and keep the median.
  const cycles: PassesResult[] = []
  const began = performance.now()
  do {
    const adapter = await openAdapter(job.target, job.values)
    try {
      cycles.push(passes(adapter, keys, order, measured, make, job.values, job.deletes))
    } finally {
      await adapter.close()
    }
  } while (cycles.length * measured < job.opsPerPass && performance.now() - began < REPEAT_MAX_MS)
  const of = (op: Op) => {
    const ns = cycles.map((c) => c.nsPerOp[op]).filter((v): v is number => v !== null)
    return ns.length === 0 ? null : median(ns)
  }
  return { nsPerOp: { set: of('set'), get: of('get'), update: of('update'), delete: of('delete') } }
}

function passes(
  adapter: Adapter,
  keys: readonly string[],
  order: Int32Array,
  measured: number,
  make: (i: number) => unknown,
  values: ValueKind,
  deletes: boolean,
): PassesResult {
  const n = keys.length
  let began = performance.now()
  for (let i = 0; i < n; i++) adapter.set(keys[i] as string, make(i))
  const set = elapsedNs(began, n)
  expect(adapter.size() === n, `size ${adapter.size()} after setting ${n} keys`)

  let misses = 0
  began = performance.now()
  for (let j = 0; j < measured; j++) misses += adapter.get(keys[order[j] as number] as string) === undefined ? 1 : 0
  const get = elapsedNs(began, measured)
  expect(misses === 0, `get missed ${misses} of ${measured} keys`)
  checkSample(adapter, keys, order, measured, (i) => make(i), values)

  const bump = values === 'string' ? appendMark : flipActive
  began = performance.now()
  for (let j = 0; j < measured; j++) adapter.update(keys[order[j] as number] as string, bump)
  const update = elapsedNs(began, measured)
  checkSample(adapter, keys, order, measured, (i) => bump(make(i)), values)

  if (!deletes) return { nsPerOp: { set, get, update, delete: null } }
  began = performance.now()
  for (let j = 0; j < measured; j++) misses += adapter.delete(keys[order[j] as number] as string) ? 0 : 1
  const del = elapsedNs(began, measured)
  expect(misses === 0 && adapter.size() === n - measured, `delete: ${misses} misses, size ${adapter.size()}, expected ${n - measured}`)
  return { nsPerOp: { set, get, update, delete: del } }
}

function appendMark(value: unknown): unknown {
  return `${value as string}!`
}

function flipActive(value: unknown): unknown {
  const object = value as { id: number; name: string; active: boolean }
  return { id: object.id, name: object.name, active: !object.active }
}

/** Every 16th measured key read back and compared with what was written. */
function checkSample(adapter: Adapter, keys: readonly string[], order: Int32Array, measured: number, expected: (i: number) => unknown, values: ValueKind): void {
  for (let j = 0; j < measured; j += 16) {
    const i = order[j] as number
    const got = adapter.get(keys[i] as string)
    const want = expected(i)
    const same = values === 'string' ? got === want : JSON.stringify({ ...(got as object) }) === JSON.stringify(want)
    expect(same, `key ${keys[i]} read back ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`correctness check failed: ${message}`)
}

function elapsedNs(began: number, ops: number): number {
  return ((performance.now() - began) * 1e6) / Math.max(1, ops)
}

/** A fixed-seed permutation of 0..n-1 (Fisher-Yates over xorshift). */
function shuffled(n: number): Int32Array {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  let x = 0x2545f491
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}
