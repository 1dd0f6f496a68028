/**
 * The single-thread measurement, run in a fresh worker per contender and round so
 * every contender gets its own JIT state: after warm-up passes on throwaway
 * instances, set N fresh keys (the structure grows as it would in use), read each
 * once in a shuffled order (the thread's first reads), then read again, uniform and
 * Zipf(0.99) keys (keys.ts) and `has` of uniform keys, then update and delete a
 * shuffled subset (over few keys, the whole cycle again on new instances until
 * opsPerPass operations, and the median). Every get must find its key and every has
 * answer true; contents are checked between passes, untimed. Keys are built once and
 * the same string objects are passed on every call, as a Map user's are.
 *
 * Why 'get' and 'get-used' (issue 9): Map.get returns a pointer to a value it never
 * touches, while SharedMap.get builds the value, so a loop that discards what it got
 * times Map without the one cache miss a caller then pays reading its value (over
 * 100k entries, about as much as the lookup: compare-builds.mjs measured Map.get at
 * 58-83 ns discarding and 131-146 ns reading one field). A SharedMap value built by
 * the get is fresh in the nursery; one from the per-thread read cache lives in the old
 * generation and costs the same miss as Map's. 'get' is the lookup alone; 'get-used'
 * is what a caller who reads the value pays, and checks the field it read.
 */
import { openAdapter, type Adapter, type TargetSpec } from './adapters.js'
import { entryValue, type SmallObject } from './contenders.js'
import { keySequence, shuffled } from './keys.js'
import { median } from './stats.js'
import type { PassOp, ValueKind } from './result.js'

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
  readonly nsPerOp: Readonly<Record<PassOp, number | null>>
}

export const PASS_OPS: readonly PassOp[] = ['set', 'get-first', 'get', 'get-used', 'get-zipf', 'has', 'update', 'delete']
export const PASS_LABELS: Readonly<Record<PassOp, string>> = {
  set: 'set',
  'get-first': 'first get',
  get: 'get',
  'get-used': 'get, value used',
  'get-zipf': 'get Zipf(0.99)',
  has: 'has',
  update: 'update',
  delete: 'delete',
}

interface Orders {
  /** A permutation: each key once. */
  readonly shuffled: Int32Array
  readonly uniform: Int32Array
  readonly zipf: Int32Array
}

function ordersOf(keys: number, measured: number): Orders {
  return { shuffled: shuffled(keys), uniform: keySequence('uniform', keys, measured, 1), zipf: keySequence('zipf', keys, measured, 2) }
}

/** Warm-up passes run on throwaway instances until job.warmupOps operations (or this long). */
const WARMUP_KEYS = 20_000
const WARMUP_MAX_MS = 1500
const REPEAT_MAX_MS = 1500

export async function runPasses(job: PassesJob): Promise<PassesResult> {
  const keys = Array.from({ length: job.keys }, (_, i) => `user:${i}`)
  const measured = Math.min(job.keys, job.opsPerPass)
  const orders = ordersOf(job.keys, measured)
  const make = entryValue(job.values)
  // Enough calls to reach optimised code, on at most a quarter as many keys.
  const warmKeys = Math.min(WARMUP_KEYS, Math.ceil(job.keys / 4))
  const warmOrders = ordersOf(warmKeys, warmKeys)
  const warmBegan = performance.now()
  for (let done = 0; done < job.warmupOps && performance.now() - warmBegan < WARMUP_MAX_MS; done += PASS_OPS.length * warmKeys) {
    const warm = await openAdapter(job.target, job.values)
    passes(warm, keys.slice(0, warmKeys), warmOrders, warmKeys, make, job.values, job.deletes)
    await warm.close()
  }
  // Few keys make short passes: repeat the cycle on fresh instances and keep the median.
  const cycles: PassesResult[] = []
  const began = performance.now()
  do {
    const adapter = await openAdapter(job.target, job.values)
    try {
      cycles.push(passes(adapter, keys, orders, measured, make, job.values, job.deletes))
    } finally {
      await adapter.close()
    }
  } while (cycles.length * measured < job.opsPerPass && performance.now() - began < REPEAT_MAX_MS)
  const of = (op: PassOp) => {
    const ns = cycles.map((c) => c.nsPerOp[op]).filter((v): v is number => v !== null)
    return ns.length === 0 ? null : median(ns)
  }
  return { nsPerOp: Object.fromEntries(PASS_OPS.map((op) => [op, of(op)])) as Record<PassOp, number | null> }
}

function passes(
  adapter: Adapter,
  keys: readonly string[],
  orders: Orders,
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

  const order = orders.shuffled
  const getFirst = reads(adapter, keys, order, measured)
  const get = reads(adapter, keys, orders.uniform, measured)
  const getUsed = usedReads(adapter, keys, orders.uniform, measured, values === 'string' ? stringHolds : objectHolds)
  const getZipf = reads(adapter, keys, orders.zipf, measured)
  let misses = 0
  began = performance.now()
  for (let j = 0; j < measured; j++) misses += adapter.has(keys[orders.uniform[j] as number] as string) ? 0 : 1
  const has = elapsedNs(began, measured)
  expect(misses === 0, `has answered false for ${misses} of ${measured} present keys`)
  checkSample(adapter, keys, order, measured, (i) => make(i), values)
  const read = { set, 'get-first': getFirst, get, 'get-used': getUsed, 'get-zipf': getZipf, has }

  const bump = values === 'string' ? appendMark : nextGen
  began = performance.now()
  for (let j = 0; j < measured; j++) adapter.update(keys[order[j] as number] as string, bump)
  const update = elapsedNs(began, measured)
  checkSample(adapter, keys, order, measured, (i) => bump(make(i)), values)

  if (!deletes) return { nsPerOp: { ...read, update, delete: null } }
  began = performance.now()
  for (let j = 0; j < measured; j++) misses += adapter.delete(keys[order[j] as number] as string) ? 0 : 1
  const del = elapsedNs(began, measured)
  expect(misses === 0 && adapter.size() === n - measured, `delete: ${misses} misses, size ${adapter.size()}, expected ${n - measured}`)
  return { nsPerOp: { ...read, update, delete: del } }
}

/** ns per get of keys[sequence[0..measured-1]]; every get must find its key. */
function reads(adapter: Adapter, keys: readonly string[], sequence: Int32Array, measured: number): number {
  let misses = 0
  const began = performance.now()
  for (let j = 0; j < measured; j++) misses += adapter.get(keys[sequence[j] as number] as string) === undefined ? 1 : 0
  const ns = elapsedNs(began, measured)
  expect(misses === 0, `get missed ${misses} of ${measured} keys`)
  return ns
}

/**
 * 'get-used': ns per get that reads its value's field and checks it with `holds`. A
 * worker measures one value kind, so the call of `holds` stays monomorphic (inlined)
 * for Map and SharedMap alike.
 */
function usedReads(adapter: Adapter, keys: readonly string[], sequence: Int32Array, measured: number, holds: (value: unknown, i: number) => boolean): number {
  let wrong = 0
  const began = performance.now()
  for (let j = 0; j < measured; j++) {
    const i = sequence[j] as number
    wrong += holds(adapter.get(keys[i] as string), i) ? 0 : 1
  }
  const ns = elapsedNs(began, measured)
  expect(wrong === 0, `get-used read ${wrong} of ${measured} values wrong or missing`)
  return ns
}

/** A string value (`value:${i}`) ends in the last digit of its index. */
function stringHolds(value: unknown, i: number): boolean {
  return typeof value === 'string' && value.charCodeAt(value.length - 1) === 48 + (i % 10)
}

/** A small object's id is its index. */
function objectHolds(value: unknown, i: number): boolean {
  return value !== undefined && (value as SmallObject).id === i
}

function appendMark(value: unknown): unknown {
  return `${value as string}!`
}

/** A new object: values read from a SharedMap may be frozen. */
function nextGen(value: unknown): unknown {
  const object = value as SmallObject
  return { ...object, gen: object.gen + 1 }
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
