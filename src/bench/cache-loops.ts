/**
 * The loops of the cache section, shared by the main thread (one-thread hit ratios)
 * and the benchmark workers (cross-thread hit ratios, cost passes):
 *  - traces: seeded key-id sequences, Zipf(alpha) over a key space, or Zipf with
 *    bursts of cold keys visited once each in sequence (a scan);
 *  - the cache-aside loop: get; on a miss, set. Its hit ratio depends only on the
 *    trace and the policy, never on timing, when one thread runs it;
 *  - cost passes: ns per get and per set of present keys, on one thread.
 */
import { SharedMap, type SharedMapHandle } from '../map/index.js'
import { xorshift, zipfSequence } from './keys.js'
import { loadLruCache, type LruCache } from './peers.js'
import { median } from './stats.js'

/** A Zipf trace over `keys` keys; 'scan' adds after every zipfRun requests a burst of scanLength never-seen keys. */
export type Trace =
  | { readonly kind: 'zipf'; readonly alpha: number; readonly keys: number }
  | { readonly kind: 'scan'; readonly alpha: number; readonly keys: number; readonly zipfRun: number; readonly scanLength: number }

export type Cache = LruCache

export interface CacheAsideResult {
  readonly requests: number
  readonly hits: number
  /** Hits that returned a value nobody set for that key: must be 0. */
  readonly wrong: number
}

/** Key ids of `length` requests: 0..keys-1 for the Zipf part, keys and up for scanned keys. */
export function traceOf(trace: Trace, length: number, seed: number): Int32Array {
  const zipf = zipfSequence(trace.keys, length, trace.alpha, xorshift(seed))
  if (trace.kind === 'zipf') return zipf
  const cycle = trace.zipfRun + trace.scanLength
  const ids = new Int32Array(length)
  let z = 0
  let cold = trace.keys
  for (let i = 0; i < length; i++) ids[i] = i % cycle < trace.zipfRun ? (zipf[z++] as number) : cold++
  return ids
}

/** One string per key id up to the largest in `ids`; the value cached for a key is the key itself. */
export function keysFor(ids: Int32Array): string[] {
  const count = ids.reduce((max, id) => Math.max(max, id), 0) + 1
  return Array.from({ length: count }, (_, id) => `key:${id}`)
}

export function cacheAside(cache: Cache, keys: readonly string[], ids: Int32Array): CacheAsideResult {
  let hits = 0
  let wrong = 0
  for (let i = 0; i < ids.length; i++) {
    const key = keys[ids[i] as number] as string
    const value = cache.get(key)
    if (value === undefined) cache.set(key, key)
    else if (value === key) hits++
    else wrong++
  }
  return { requests: ids.length, hits, wrong }
}

/** Workers of one cross-thread run: a bounded SharedMap they all attach, or an lru-cache of each worker's own. */
export interface CacheHitsJob {
  readonly type: 'cache-hits'
  readonly target: { readonly kind: 'shared'; readonly handle: SharedMapHandle } | { readonly kind: 'lru'; readonly capacity: number }
  readonly trace: Trace
  readonly requests: number
  readonly seed: number
}

/**
 * The cost contenders, each holding `keys` keys: SharedMap plain, with a default ttl
 * (60 s: nothing expires during the run), bounded far above `keys` (nothing is
 * evicted) under each policy; lru-cache without and with a ttl.
 */
export const COST_CONTENDERS = ['plain', 'ttl', 'fifo', 'sieve', 'lru', 'lru-ttl'] as const
export type CostContender = (typeof COST_CONTENDERS)[number]

export interface CacheCostJob {
  readonly type: 'cache-cost'
  readonly contender: CostContender
  readonly keys: number
  readonly passes: number
}

/**
 * 'get': keys read before and not written since (the steady state of a reader,
 * which 'optimistic' serves from its read cache); 'get-after-set': the first get of
 * each key after it was overwritten; 'set': overwriting a present key.
 */
export const COST_OPS = ['get', 'get-after-set', 'set'] as const
export type CostOp = (typeof COST_OPS)[number]

export interface CacheCostResult {
  /** Median pass, ns per operation. */
  readonly ns: Readonly<Record<CostOp, number>>
  /** Gets that found no value for a key that was set and can neither expire nor be evicted. */
  readonly misses: number
}

export async function runCacheJob(job: CacheHitsJob | CacheCostJob, waitAtGate: () => void): Promise<CacheAsideResult | CacheCostResult> {
  if (job.type === 'cache-cost') {
    const cache = await costStore(job.contender, job.keys)
    waitAtGate()
    return costPasses(cache, job.keys, job.passes)
  }
  const ids = traceOf(job.trace, job.requests, job.seed)
  const keys = keysFor(ids)
  const cache = job.target.kind === 'shared' ? SharedMap.attach<string, string>(job.target.handle) : await newLru(job.target.capacity)
  waitAtGate()
  return cacheAside(cache, keys, ids)
}

async function newLru(max: number, ttl?: number): Promise<Cache> {
  const LRUCache = await loadLruCache()
  if (LRUCache === undefined) throw new Error('lru-cache is not installed')
  return new LRUCache(ttl === undefined ? { max } : { max, ttl })
}

const TTL_MS = 60_000

async function costStore(contender: CostContender, keys: number): Promise<Cache> {
  switch (contender) {
    case 'plain':
      return new SharedMap<string, string>({})
    case 'ttl':
      return new SharedMap<string, string>({ ttl: TTL_MS })
    case 'fifo':
    case 'sieve':
      return new SharedMap<string, string>({ maxEntries: keys * 2, eviction: contender })
    case 'lru':
      return newLru(keys * 2)
    case 'lru-ttl':
      return newLru(keys * 2, TTL_MS)
  }
}

/**
 * Sets every key, then repeats: a set pass, a get pass (the first get of each key
 * since its set), another get pass, over the keys in a seeded uniform order (the same
 * for every contender). The first two rounds warm the JIT up and are not counted. A
 * figure is the median pass.
 */
function costPasses(cache: Cache, count: number, passes: number): CacheCostResult {
  const keys = Array.from({ length: count }, (_, id) => `key:${id}`)
  const next = xorshift(7)
  const order = Int32Array.from({ length: count }, () => next() % count)
  for (const key of keys) cache.set(key, key)
  const values = ['a', 'b']
  const timed: Record<CostOp, number[]> = { get: [], 'get-after-set': [], set: [] }
  let misses = 0
  const getPass = () => {
    const began = performance.now()
    for (let i = 0; i < count; i++) if (cache.get(keys[order[i] as number] as string) === undefined) misses++
    return performance.now() - began
  }
  for (let pass = -2; pass < passes; pass++) {
    const value = values[pass & 1] as string
    const began = performance.now()
    for (let i = 0; i < count; i++) cache.set(keys[order[i] as number] as string, value)
    const set = performance.now() - began
    const afterSet = getPass()
    const get = getPass()
    if (pass < 0) continue
    timed.set.push((set * 1e6) / count)
    timed['get-after-set'].push((afterSet * 1e6) / count)
    timed.get.push((get * 1e6) / count)
  }
  return { ns: { get: median(timed.get), 'get-after-set': median(timed['get-after-set']), set: median(timed.set) }, misses }
}
