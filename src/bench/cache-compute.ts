/**
 * The cache section's duplicate-work runs (issue 10): N workers, each running many
 * concurrent async tasks that take requests off the worker's own seeded Zipf stream,
 * where a miss costs a simulated fetch (a timer of a few ms, so fetches overlap in
 * time as real ones do). One shared bounded SharedMap through getOrComputeAsync (one
 * computation per absent key across threads) against an lru-cache per worker through
 * fetch() (which coalesces concurrent fetches within its own worker only).
 * Counted, not timed: factory runs, and runs that began while another run of the
 * same key was in flight in any thread.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { SharedMap, type SharedMapHandle } from '../map/index.js'
import { keysFor, traceOf, type Trace } from './cache-loops.js'
import { runWorkers } from './gate.js'
import { loadLruCache } from './peers.js'
import type { ComputePlan } from './plan.js'
import type { ComputeRow } from './result.js'
import type { Progress } from './section.js'

export interface CacheComputeJob {
  readonly type: 'cache-compute'
  readonly target: { readonly kind: 'shared'; readonly handle: SharedMapHandle } | { readonly kind: 'lru'; readonly capacity: number }
  readonly trace: Trace
  readonly requests: number
  readonly seed: number
  readonly tasks: number
  readonly delayMs: number
  /** One Int32 per key id, shared by every worker of the run: that key's runs in flight. */
  readonly inFlight: SharedArrayBuffer
}

export interface CacheComputeResult {
  readonly requests: number
  /** Factory (fetchMethod) runs of this worker. */
  readonly runs: number
  /** Runs that began while another run of the same key was in flight, in this worker or another. */
  readonly overlapping: number
  /** Answers other than the key's own value, and rejections: must be 0. */
  readonly wrong: number
  /** From the gate's release to this worker's last answer. */
  readonly elapsedMs: number
}

export async function runComputeJob(job: CacheComputeJob, waitAtGate: () => void): Promise<CacheComputeResult> {
  const ids = traceOf(job.trace, job.requests, job.seed)
  const keys = keysFor(ids)
  const idOf = new Map(keys.map((key, id) => [key, id]))
  const inFlight = new Int32Array(job.inFlight)
  let runs = 0
  let overlapping = 0
  // The value of a key is the key itself, so that every answer can be checked.
  const fetchValue = async (key: string): Promise<string> => {
    const id = idOf.get(key)
    if (id === undefined) throw new Error(`a fetch of ${key}, which no request asked for`)
    runs++
    if (Atomics.add(inFlight, id, 1) > 0) overlapping++
    try {
      await delay(job.delayMs)
    } finally {
      Atomics.sub(inFlight, id, 1)
    }
    return key
  }
  const get = await getter(job.target, fetchValue)
  waitAtGate()
  const began = performance.now()
  let next = 0
  let wrong = 0
  const task = async (): Promise<void> => {
    while (next < ids.length) {
      const key = keys[ids[next++] as number] as string
      try {
        if ((await get(key)) !== key) wrong++
      } catch {
        wrong++
      }
    }
  }
  await Promise.all(Array.from({ length: job.tasks }, task))
  return { requests: ids.length, runs, overlapping, wrong, elapsedMs: performance.now() - began }
}

async function getter(target: CacheComputeJob['target'], fetchValue: (key: string) => Promise<string>): Promise<(key: string) => Promise<string | undefined>> {
  if (target.kind === 'shared') {
    const map = SharedMap.attach<string, string>(target.handle)
    return (key) => map.getOrComputeAsync(key, fetchValue)
  }
  const LRUCache = await loadLruCache()
  if (LRUCache === undefined) throw new Error('lru-cache is not installed')
  const cache = new LRUCache({ max: target.capacity, fetchMethod: fetchValue })
  return (key) => cache.fetch(key)
}

/** The seed of worker i's stream is SEED + i, as in the cross-thread hit-ratio runs. */
const SEED = 1

type ComputeContender = ComputeRow['contender']
const CONTENDERS: readonly ComputeContender[] = ['shared-fifo', 'shared-sieve', 'shared-sieve-total', 'private-lru']

function labelOf(contender: ComputeContender, lruCache: string | null): string {
  switch (contender) {
    case 'shared-fifo':
      return "one shared SharedMap 'fifo', getOrComputeAsync"
    case 'shared-sieve':
      return "one shared SharedMap 'sieve', getOrComputeAsync"
    case 'shared-sieve-total':
      return "one shared SharedMap 'sieve' of N x capacity (the memory of N private caches)"
    case 'private-lru':
      return `an lru-cache ${lruCache ?? ''} per worker, fetch()`
  }
}

export function computeTrace(plan: ComputePlan): Trace {
  return { kind: 'zipf', alpha: plan.alpha, keys: plan.keys }
}

export async function computeRows(plan: ComputePlan, workerCounts: readonly number[], lruCache: string | null, progress: Progress): Promise<ComputeRow[]> {
  const trace = computeTrace(plan)
  const capacity = Math.round(plan.keys * plan.capacity)
  const rows: ComputeRow[] = []
  for (const workers of workerCounts) {
    const distinctKeys = distinct(trace, plan.requestsPerWorker, workers)
    const mine: ComputeRow[] = []
    for (const contender of CONTENDERS) {
      if (contender === 'private-lru' && lruCache === null) continue
      if (contender === 'shared-sieve-total' && workers === 1) continue
      const each = contender === 'shared-sieve-total' ? capacity * workers : capacity
      const label = labelOf(contender, lruCache)
      const base = { contender, label, workers, capacity: each, requestsPerWorker: plan.requestsPerWorker, tasksPerWorker: plan.tasks, delayMs: plan.delayMs, distinctKeys }
      const none: Counts = { computations: null, beyondOnePerKey: null, overlapping: null, joins: null, ratioToPrivate: null, wallMs: null }
      progress(`cache: getOrComputeAsync, ${workers} worker(s), ${label}`)
      try {
        mine.push({ ...base, ...(await computeRun(plan, trace, contender, workers, each, distinctKeys)) })
      } catch (err) {
        mine.push({ ...base, ...none, error: err instanceof Error ? err.message : String(err) })
      }
    }
    const reference = mine.find((r) => r.contender === 'private-lru')?.computations ?? null
    rows.push(...mine.map((r) => ({ ...r, ratioToPrivate: r.computations === null || reference === null || reference === 0 ? null : r.computations / reference })))
  }
  return rows
}

type Counts = Pick<ComputeRow, 'computations' | 'beyondOnePerKey' | 'overlapping' | 'joins' | 'ratioToPrivate' | 'wallMs'>

async function computeRun(plan: ComputePlan, trace: Trace, contender: ComputeContender, workers: number, capacity: number, distinctKeys: number): Promise<Counts> {
  const map = contender === 'private-lru' ? undefined : new SharedMap<string, string>({ maxEntries: capacity, eviction: contender === 'shared-fifo' ? 'fifo' : 'sieve' })
  const inFlight = new SharedArrayBuffer(plan.keys * 4)
  const launches = Array.from({ length: workers }, (_, index) => {
    const job: CacheComputeJob = {
      type: 'cache-compute',
      target: map === undefined ? { kind: 'lru', capacity } : { kind: 'shared', handle: map.handle },
      trace,
      requests: plan.requestsPerWorker,
      seed: SEED + index,
      tasks: plan.tasks,
      delayMs: plan.delayMs,
      inFlight,
    }
    return { job }
  })
  const results = await runWorkers<CacheComputeResult>(launches, 60_000)
  const sum = (pick: (r: CacheComputeResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  const wrong = sum((r) => r.wrong)
  if (wrong > 0) throw new Error(`correctness check failed: ${wrong} requests got another value than the key's, or a rejection`)
  const computations = sum((r) => r.runs)
  let joins: number | null = null
  if (map !== undefined) {
    const stats = map.stats()
    if (stats.computations !== computations) throw new Error(`correctness check failed: stats().computations is ${stats.computations}, the factory ran ${computations} times`)
    if (map.size > capacity) throw new Error(`correctness check failed: ${map.size} entries in a map bounded at ${capacity}`)
    map.checkInvariants()
    joins = stats.joins
  }
  return {
    computations,
    beyondOnePerKey: computations - distinctKeys,
    overlapping: sum((r) => r.overlapping),
    joins,
    ratioToPrivate: null,
    wallMs: Math.max(...results.map((r) => r.elapsedMs)),
  }
}

/** Keys requested at least once by any of the workers' streams: the fewest computations any cache can do. */
function distinct(trace: Trace, requests: number, workers: number): number {
  const seen = new Uint8Array(trace.keys)
  for (let index = 0; index < workers; index++) for (const id of traceOf(trace, requests, SEED + index)) seen[id] = 1
  return seen.reduce((count, bit) => count + bit, 0)
}
