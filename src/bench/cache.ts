/**
 * The cache section (issue 10): SharedMap as a bounded cache beside lru-cache.
 *  - Hit ratio, one thread: the cache-aside loop (get; on a miss, set) over seeded
 *    Zipf traces (alpha 0.8 and 1.0) and a scan-heavy mix, every cache holding 1% and
 *    10% of the key space: lru-cache, SharedMap 'fifo' and 'sieve' with the default
 *    shards and with one (a bound evicts from the writer's shard: one shard is the
 *    policy over the whole map).
 *  - Hit ratio across threads: N workers on one shared bounded SharedMap against N
 *    workers each with an lru-cache of the same capacity (what users do today) and
 *    of capacity / N (the same memory in all).
 *  - Duplicate work across threads: N workers of concurrent async tasks whose misses
 *    cost a simulated fetch, on one shared SharedMap through getOrComputeAsync
 *    against an lru-cache per worker through fetch(): factory runs counted
 *    (cache-compute.ts).
 *  - Cost, one thread: ns per get and set with a ttl, with a bound and without, as
 *    ratios within each round (contenders alternate, a fresh worker each), medians
 *    over rounds.
 */
import { SharedMap } from '../map/index.js'
import { computeRows, computeTrace } from './cache-compute.js'
import { cacheAside, COST_CONTENDERS, COST_OPS, keysFor, traceOf, type Cache, type CacheAsideResult, type CacheCostJob, type CacheCostResult, type CacheHitsJob, type CostContender, type CostOp, type Trace } from './cache-loops.js'
import { shortCount } from './format.js'
import { runWorkers } from './gate.js'
import { loadLruCache, versionOf, type LruCacheClass } from './peers.js'
import type { CachePlan } from './plan.js'
import type { CacheSection, CostRow, CrossThreadRow, HitRatioRow } from './result.js'
import type { Progress } from './section.js'
import { median } from './stats.js'

/** The seed of every one-thread trace; worker i of a cross-thread run uses SEED + i. */
const SEED = 1
const CAPACITIES = [0.01, 0.1] as const
const ALPHAS = [0.8, 1.0] as const
/** The cross-thread runs: the skew and cache size where a policy's choices matter most. */
const CROSS_ALPHA = 0.8
const CROSS_CAPACITY = 0.01

interface Policy {
  readonly id: string
  readonly eviction?: 'fifo' | 'sieve'
  readonly shards?: number
}

const POLICIES: readonly Policy[] = [{ id: 'lru-cache' }, { id: 'fifo', eviction: 'fifo' }, { id: 'fifo-1', eviction: 'fifo', shards: 1 }, { id: 'sieve', eviction: 'sieve' }, { id: 'sieve-1', eviction: 'sieve', shards: 1 }]

export async function runCacheSection(plan: CachePlan, progress: Progress): Promise<CacheSection> {
  const Lru = await loadLruCache()
  const lruCache = Lru === undefined ? null : versionOf('lru-cache')
  const policies = POLICIES.filter((p) => p.eviction !== undefined || Lru !== undefined)
  const hitRatio = hitRatioRows(plan, policies, Lru, lruCache, progress)
  const crossThread = await crossThreadRows(plan, lruCache, progress)
  const compute = await computeRows(plan.compute, plan.workers, lruCache, progress)
  const cost = await costRows(plan, lruCache, progress)
  return { lruCache, hitRatio, crossThread, compute, cost, notes: notes(plan, lruCache) }
}

function traces(plan: CachePlan): Trace[] {
  const scanLength = plan.keys / 20
  return [...ALPHAS.map((alpha): Trace => ({ kind: 'zipf', alpha, keys: plan.keys })), { kind: 'scan', alpha: 1.0, keys: plan.keys, zipfRun: scanLength * 4, scanLength }]
}

function describeTrace(trace: Trace): string {
  const zipf = `Zipf(${trace.alpha.toFixed(1)}) over ${shortCount(trace.keys)} keys`
  return trace.kind === 'zipf' ? zipf : `${zipf}, every ${shortCount(trace.zipfRun)} requests a scan of ${shortCount(trace.scanLength)} cold keys`
}

function hitRatioRows(plan: CachePlan, policies: readonly Policy[], Lru: LruCacheClass | undefined, lruCache: string | null, progress: Progress): HitRatioRow[] {
  const rows: HitRatioRow[] = []
  for (const trace of traces(plan)) {
    const ids = traceOf(trace, plan.requests, SEED)
    const keys = keysFor(ids)
    for (const share of CAPACITIES) {
      const capacity = Math.round(plan.keys * share)
      const id = `${describeTrace(trace)}, cache ${shortCount(capacity)} (${share * 100}%)`
      for (const policy of policies) {
        progress(`cache: hit ratio, ${id}, ${policy.id}`)
        const base = { case: id, trace, capacity, requests: ids.length, contender: policy.id, label: policy.eviction === undefined ? `lru-cache ${lruCache ?? ''}`.trim() : policyLabel(policy.eviction, policy.shards) }
        try {
          const cache = open(policy, capacity, Lru)
          const hitRatio = checked(cacheAside(cache, keys, ids))
          if (cache instanceof SharedMap) boundHeld(cache, capacity)
          const stats = cache instanceof SharedMap ? cache.stats() : undefined
          const label = policy.eviction === undefined || stats === undefined ? base.label : policyLabel(policy.eviction, stats.shards)
          rows.push({ ...base, label, hitRatio, evictions: stats?.evictions ?? null })
        } catch (err) {
          rows.push({ ...base, hitRatio: null, evictions: null, error: messageOf(err) })
        }
      }
    }
  }
  return rows
}

function open(policy: Policy, capacity: number, Lru: LruCacheClass | undefined): Cache {
  if (policy.eviction !== undefined) return new SharedMap<string, string>({ maxEntries: capacity, eviction: policy.eviction, ...(policy.shards === undefined ? {} : { shards: policy.shards }) })
  if (Lru === undefined) throw new Error('lru-cache is not installed')
  return new Lru({ max: capacity })
}

function policyLabel(eviction: 'fifo' | 'sieve', shards: number | undefined): string {
  return `SharedMap '${eviction}'${shards === undefined ? '' : ` (${shards} shard${shards === 1 ? '' : 's'})`}`
}

function checked(result: CacheAsideResult): number {
  if (result.wrong > 0) throw new Error(`correctness check failed: ${result.wrong} hits returned another key's value`)
  return result.hits / result.requests
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const CROSS_CONTENDERS = ['shared-fifo', 'shared-sieve', 'private-lru', 'private-lru-split'] as const

async function crossThreadRows(plan: CachePlan, lruCache: string | null, progress: Progress): Promise<CrossThreadRow[]> {
  const trace: Trace = { kind: 'zipf', alpha: CROSS_ALPHA, keys: plan.keys }
  const capacity = Math.round(plan.keys * CROSS_CAPACITY)
  const rows: CrossThreadRow[] = []
  for (const workers of plan.workers) {
    for (const contender of CROSS_CONTENDERS) {
      const shared = contender === 'shared-fifo' || contender === 'shared-sieve'
      if (!shared && lruCache === null) continue
      if (contender === 'private-lru-split' && workers === 1) continue
      const each = contender === 'private-lru-split' ? Math.floor(capacity / workers) : capacity
      const base = { contender, label: CROSS_LABELS[contender], workers, capacity: each, requestsPerWorker: plan.requestsPerWorker }
      progress(`cache: ${workers} worker(s), ${base.label}`)
      const map = shared ? new SharedMap<string, string>({ maxEntries: capacity, eviction: contender === 'shared-fifo' ? 'fifo' : 'sieve' }) : undefined
      try {
        const launches = Array.from({ length: workers }, (_, index) => {
          const job: CacheHitsJob = { type: 'cache-hits', target: map === undefined ? { kind: 'lru', capacity: each } : { kind: 'shared', handle: map.handle }, trace, requests: plan.requestsPerWorker, seed: SEED + index }
          return { job }
        })
        const results = await runWorkers<CacheAsideResult>(launches, 60_000)
        const total = results.reduce((sum, r) => ({ requests: sum.requests + r.requests, hits: sum.hits + r.hits, wrong: sum.wrong + r.wrong }), { requests: 0, hits: 0, wrong: 0 })
        if (map !== undefined) boundHeld(map, capacity)
        rows.push({ ...base, hitRatio: checked(total) })
      } catch (err) {
        rows.push({ ...base, hitRatio: null, error: messageOf(err) })
      }
    }
  }
  return rows
}

const CROSS_LABELS: Readonly<Record<(typeof CROSS_CONTENDERS)[number], string>> = {
  'shared-fifo': "one shared SharedMap 'fifo'",
  'shared-sieve': "one shared SharedMap 'sieve'",
  'private-lru': 'an lru-cache per worker, same capacity each',
  'private-lru-split': 'an lru-cache per worker, capacity / N each (the same memory in all)',
}

/** The end-of-run check of a shared cache: within its bound, internally consistent. */
function boundHeld(map: SharedMap, capacity: number): void {
  if (map.size > capacity) throw new Error(`correctness check failed: ${map.size} entries in a map bounded at ${capacity}`)
  map.checkInvariants()
}

const COST_LABELS: Readonly<Record<CostContender, string>> = {
  plain: 'new SharedMap({})',
  ttl: 'new SharedMap({ ttl: 60_000 })',
  fifo: "new SharedMap({ maxEntries: 2 x keys }) ('fifo')",
  sieve: "new SharedMap({ maxEntries: 2 x keys, eviction: 'sieve' })",
  lru: 'lru-cache { max: 2 x keys }',
  'lru-ttl': 'lru-cache { max: 2 x keys, ttl: 60_000 }',
}

async function costRows(plan: CachePlan, lruCache: string | null, progress: Progress): Promise<CostRow[]> {
  const contenders = COST_CONTENDERS.filter((c) => lruCache !== null || (c !== 'lru' && c !== 'lru-ttl'))
  const rounds = new Map<CostContender, (CacheCostResult | undefined)[]>(contenders.map((c) => [c, []]))
  const errors = new Map<CostContender, string>()
  for (let round = 0; round < plan.costRounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse()
    for (const contender of order) {
      if (errors.has(contender)) continue
      progress(`cache: cost, round ${round + 1}/${plan.costRounds}, ${COST_LABELS[contender]}`)
      try {
        const job: CacheCostJob = { type: 'cache-cost', contender, keys: plan.costKeys, passes: plan.costPasses }
        const [result] = await runWorkers<CacheCostResult>([{ job }], 60_000)
        if (result === undefined) throw new Error('the cost worker returned nothing')
        if (result.misses > 0) throw new Error(`correctness check failed: ${result.misses} gets missed keys that were set and can neither expire nor be evicted`)
        const mine = rounds.get(contender) ?? []
        mine[round] = result
        rounds.set(contender, mine)
      } catch (err) {
        errors.set(contender, messageOf(err))
      }
    }
  }
  return contenders.map((contender): CostRow => {
    const reference: CostContender = contender === 'lru' || contender === 'lru-ttl' ? 'lru' : 'plain'
    const mine = rounds.get(contender) ?? []
    const theirs = rounds.get(reference) ?? []
    const error = errors.get(contender) ?? errors.get(reference)
    const ns = {} as Record<CostOp, number | null>
    const ratio = {} as Record<CostOp, number | null>
    for (const op of COST_OPS) {
      const own = mine.flatMap((r) => (r === undefined ? [] : [r.ns[op]]))
      const over = mine.flatMap((r, round) => {
        const against = theirs[round]
        return r === undefined || against === undefined ? [] : [r.ns[op] / against.ns[op]]
      })
      ns[op] = error !== undefined || own.length === 0 ? null : median(own)
      ratio[op] = error !== undefined || over.length === 0 ? null : median(over)
    }
    return {
      contender,
      label: COST_LABELS[contender],
      keys: plan.costKeys,
      ns,
      reference,
      ratio,
      samples: mine.flatMap((r) => (r === undefined ? [] : [r.ns])),
      ...(error === undefined ? {} : { error }),
    }
  })
}

function notes(plan: CachePlan, lruCache: string | null): string[] {
  return [
    `Hit ratio: the cache-aside loop (get; on a miss, set) over ${shortCount(plan.requests)} requests of one seeded trace (seed ${SEED}), the same trace for every cache; cold-start misses included. Deterministic for a seed with one shard (and for lru-cache); with more, the map's random hash seed decides which shard a key falls in, which moves a figure in the third decimal from run to run.`,
    "Zipf(alpha): the key of rank r drawn with probability proportional to 1/r^alpha, ranks scattered over the key space by a fixed shuffle. The scan mix adds, after every run of Zipf requests, a burst of cold keys each visited once (20% of requests); they can never hit.",
    "A bound evicts from the writer's own shard ('fifo': its oldest write; 'sieve': SIEVE over the shard's queue), so with many shards the victim is the shard's choice, not the map's: the 1-shard rows show the policy over the whole map.",
    `Across threads: every worker runs its own Zipf(${CROSS_ALPHA}) stream (seed ${SEED} + worker index) of ${shortCount(plan.requestsPerWorker)} requests over the same keys, all released at once; the hit ratio is all hits over all requests. Thread interleaving makes it vary slightly from run to run.`,
    `Duplicate work: N workers, each running ${plan.compute.tasks} concurrent async tasks that take the worker's next request off its own seeded stream (${describeTrace(computeTrace(plan.compute))}, seed ${SEED} + worker index, ${shortCount(plan.compute.requestsPerWorker)} requests), all released at once; a miss runs the factory (fetchMethod for lru-cache), an async timer of ${plan.compute.delayMs} ms, so fetches overlap in time. Every cache holds ${shortCount(Math.round(plan.compute.keys * plan.compute.capacity))} entries (${plan.compute.capacity * 100}%) but the 'N x capacity' map. 'computations': factory runs over the run, all workers (for the shared map equal to stats().computations, checked); 'distinct keys': keys any worker requested (the fewest runs any cache can do); 'beyond one per key': computations - distinct keys (refills after eviction and duplicates); 'overlapping': runs begun while another run of the same key was in flight in any thread (the duplicates that coalescing across threads removes); 'x private': computations over the lru-cache per worker's at the same N, in the same run. Timer and thread interleaving move the counts slightly from run to run; the wall time (slowest worker, release to last answer) is a side note.`,
    `Cost: one thread, ${shortCount(plan.costKeys)} keys set, then ${plan.costPasses} timed repetitions (after 2 for warm-up) of a set pass over every key in a seeded uniform order, a get pass (each key's first get since its set) and a second get pass ('get': keys read before, not written since; 'optimistic' answers from its read cache); a figure is the median pass. Each contender runs in a fresh worker once per round (${plan.costRounds} round${plan.costRounds === 1 ? '' : 's'}, the order reversed every round); a ratio is the median over rounds of the contender's ns over the reference's in the same round. Nothing expires (ttl 60 s) or is evicted (maxEntries twice the keys) during the run.`,
    ...(lruCache === null ? ['lru-cache is not installed: its rows are skipped (npm i -D lru-cache).'] : []),
  ]
}

/** The section's own correctness: a row with an error has no figure. */
export function cacheOk(section: CacheSection): boolean {
  return [...section.hitRatio, ...section.crossThread, ...section.compute, ...section.cost].every((r) => r.error === undefined)
}
