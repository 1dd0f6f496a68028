/**
 * The contention pass at the end of `conmap bench` (issue 12): lock-wait percentiles
 * and hot keys, as `conmap storm --metrics` shows them. The bench's own figures come
 * from maps without metrics (metrics cost a little on every call); this pass runs one
 * more window per lock strategy on a map made with `metrics: true`: W workers, 90% get
 * / 10% set over Zipf(0.99) keys (the skew that makes keys hot and locks contended),
 * then reads map.metrics() and map.hotKeys() from the main thread, which did not take
 * part: what it shows was summed from every worker's rows in shared memory.
 *
 * The hot keys are checked against the truth: a Zipf stream's hottest keys are known
 * (keys.ts zipfRanks), so the row says how many of the true top ones the sketch named.
 */
import { SharedMap } from '../map/index.js'
import type { Concurrency } from '../map/index.js'
import { contentionOf, formatContention, type StormContention } from '../storm/contention.js'
import type { TargetSpec } from './adapters.js'
import { STRATEGIES, valuePool, workerKeys } from './contenders.js'
import { formatRate } from '../cli/terminal.js'
import { shortCount } from './format.js'
import { runWorkers } from './gate.js'
import { zipfRanks } from './keys.js'
import type { ContentionPlan } from './plan.js'
import type { Progress } from './section.js'
import type { WindowJob, WindowResult } from './worker.js'

/** 'none' takes no lock, so it has no waits to show. */
const LOCKING: readonly Concurrency[] = STRATEGIES.filter((s) => s !== 'none')

export interface ContentionRow {
  readonly label: string
  readonly concurrency: Concurrency
  readonly workers: number
  readonly keys: number
  /** Operations per second of all workers together, in the window. */
  readonly opsPerSec: number | null
  /** Lock-wait percentiles by mode, timeouts and the sketch's hot keys, from map.metrics() and map.hotKeys(). */
  readonly contention: StormContention | null
  /** The keys the Zipf stream made hottest, as many as contention.hotKeys has entries. */
  readonly trueHotKeys: readonly string[]
  /** Of trueHotKeys, how many the sketch named. */
  readonly found: number | null
  readonly error?: string
}

export interface ContentionSection {
  readonly rows: readonly ContentionRow[]
  readonly notes: readonly string[]
}

export async function runContentionSection(plan: ContentionPlan, progress: Progress): Promise<ContentionSection> {
  const rows: ContentionRow[] = []
  for (const concurrency of LOCKING) {
    progress(`contention: ${concurrency}, ${plan.workers} workers on a map with metrics: true`)
    rows.push(await measure(concurrency, plan))
  }
  return { rows, notes: notes(plan) }
}

async function measure(concurrency: Concurrency, plan: ContentionPlan): Promise<ContentionRow> {
  const base = { label: `contention, ${concurrency}`, concurrency, workers: plan.workers, keys: plan.keys }
  const keys = workerKeys(plan.keys)
  const pool = valuePool('string')
  const map = new SharedMap<string, unknown>({ concurrency, initialCapacity: plan.keys, metrics: true })
  try {
    for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, pool[i & 63])
    const target: TargetSpec = { kind: 'shared', concurrency, handle: map.handle }
    const launches = Array.from({ length: plan.workers }, (_, index) => {
      const job: WindowJob = { type: 'window', target, values: 'string', keys: plan.keys, keyOrder: 'zipf', workload: { kind: 'mix', readShare: 0.9 }, index, workers: plan.workers, windowMs: plan.windowMs, warmupMs: plan.warmupMs, maxWarmupMs: plan.maxWarmupMs }
      return { job }
    })
    const results = await runWorkers<WindowResult>(launches, plan.windowMs + plan.maxWarmupMs)
    const misses = results.reduce((sum, r) => sum + r.misses, 0)
    if (misses > 0) throw new Error(`correctness check failed: ${misses} reads missed keys that are always present`)
    map.checkInvariants()
    const contention = contentionOf(map)
    const shown = contention.hotKeys ?? []
    const ranks = zipfRanks(plan.keys)
    const trueHotKeys = Array.from(ranks.subarray(0, shown.length), (i) => keys[i] as string)
    const named = new Set(shown.map((h) => h.key))
    return {
      ...base,
      opsPerSec: results.reduce((sum, r) => sum + (r.ops * 1000) / r.elapsedMs, 0),
      contention,
      trueHotKeys,
      found: trueHotKeys.filter((k) => named.has(k)).length,
    }
  } catch (err) {
    return { ...base, opsPerSec: null, contention: null, trueHotKeys: [], found: null, error: err instanceof Error ? err.message : String(err) }
  }
}

function notes(plan: ContentionPlan): string[] {
  return [
    `Contention: per lock strategy one window of ${plan.windowMs} ms (after a warm-up until the rate settles), ${plan.workers} workers, 90% get / 10% set over ${plan.keys.toLocaleString('en-US')} keys in Zipf(0.99) order, on a map made with metrics: true; lock waits and hot keys are what map.metrics() and map.hotKeys() read from shared memory in the main thread afterwards, warm-up included. A percentile is the upper bound of its log bucket (1 µs, 2 µs, 4 µs, …): it over-states by at most 2x. Hot keys are sampled (one keyed call in 32) and estimated; "found" is how many of the Zipf stream's true hottest keys the sketch named. These maps are not the ones of the throughput figures, which have no metrics.`,
  ]
}

export function contentionOk(section: ContentionSection): boolean {
  return section.rows.every((r) => r.error === undefined)
}

export function renderContentionSection(section: ContentionSection): string[] {
  const int = (n: number): string => Math.round(n).toLocaleString('en-US')
  const out = ['Lock waits and hot keys at the end of the run (maps with metrics: true, Zipf(0.99) keys)']
  for (const row of section.rows) {
    if (row.error !== undefined || row.contention === null) {
      out.push(`  ${row.concurrency}: FAILED`)
      continue
    }
    const rate = row.opsPerSec === null ? '' : `, ${formatRate(row.opsPerSec)} ops/s`
    out.push(`  ${row.concurrency}: ${row.workers} workers, ${shortCount(row.keys)} keys${rate}; true hottest keys found: ${row.found ?? 0} of ${row.trueHotKeys.length}`)
    out.push(...formatContention(row.contention, int).map((line) => `  ${line}`))
  }
  out.push('', '  Contention notes', ...section.notes.map((note) => `  - ${note}`))
  return out
}
