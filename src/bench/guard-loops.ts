/**
 * The guard section's worker side (issue 12): what guard() adds to a get and a set
 * on one thread. A variant is the map's options and guard()'s (none: the bare map),
 * so that a map option with a cost of its own (metrics) is one more row of VARIANTS
 * measured the same way against the bare map.
 *
 * One worker per variant and round (its own JIT state: every call site in the loops
 * sees one receiver, as a user's does): set every key, then get passes over a seeded
 * uniform order of the keys (each key read before and not written since: the read
 * cache answers, so the wrapper's share of a call is at its largest), then set passes
 * over the same order. Two passes of each warm the JIT up; a figure is the median
 * timed pass. Every get must find its key; the breaker must still be closed at the end.
 */
import { guard, type GuardedParts, type GuardOptions } from '../guard/index.js'
import { SharedMap, type SharedMapOptions } from '../map/index.js'
import { xorshift } from './keys.js'
import { median } from './stats.js'

export const GUARD_VARIANTS = ['bare', 'guard', 'count', 'rate', 'audit'] as const
export type GuardVariant = (typeof GUARD_VARIANTS)[number]
export const GUARD_OPS = ['get', 'set'] as const
export type GuardOp = (typeof GUARD_OPS)[number]

interface VariantSpec {
  readonly label: string
  readonly map: SharedMapOptions<number>
  /** undefined: the map itself, unguarded. */
  readonly guard: GuardOptions | undefined
}

const TIMEOUT = { timeout: 50 } as const

export const VARIANTS: Readonly<Record<GuardVariant, VariantSpec>> = {
  bare: { label: 'new SharedMap()', map: {}, guard: undefined },
  guard: { label: 'guard(map)', map: {}, guard: {} },
  count: { label: 'guard(map, { timeout, breaker: { failures: 5 } })', map: {}, guard: { ...TIMEOUT, breaker: { failures: 5 } } },
  rate: { label: 'guard(map, { timeout, breaker: { failureRate: 0.5 } })', map: {}, guard: { ...TIMEOUT, breaker: { failureRate: 0.5 } } },
  audit: { label: 'guard(map, { timeout, breaker: { failures: 5 }, audit: {} })', map: {}, guard: { ...TIMEOUT, breaker: { failures: 5 }, audit: {} } },
}

export interface GuardCostJob {
  readonly type: 'guard-cost'
  readonly variant: GuardVariant
  readonly keys: number
  /** Calls of each pass. */
  readonly opsPerPass: number
  /** Timed passes of each operation. */
  readonly passes: number
}

export interface GuardCostResult {
  readonly ns: Readonly<Record<GuardOp, number>>
}

const WARMUP_PASSES = 2

export function runGuardCostJob(job: GuardCostJob, waitAtGate: () => void): GuardCostResult {
  const spec = VARIANTS[job.variant]
  const map = new SharedMap<string, number>(spec.map)
  const guarded = spec.guard === undefined ? undefined : guard(map, spec.guard)
  const target = guarded ?? map
  const keys = Array.from({ length: job.keys }, (_, id) => `key:${id}`)
  const next = xorshift(11)
  const order = Int32Array.from({ length: job.opsPerPass }, () => next() % job.keys)
  for (const [id, key] of keys.entries()) target.set(key, id)
  waitAtGate()
  const timed: Record<GuardOp, number[]> = { get: [], set: [] }
  let misses = 0
  for (let pass = -WARMUP_PASSES; pass < job.passes; pass++) {
    const began = performance.now()
    for (let i = 0; i < order.length; i++) if (target.get(keys[order[i] as number] as string) === undefined) misses++
    if (pass >= 0) timed.get.push(((performance.now() - began) * 1e6) / order.length)
  }
  for (let pass = -WARMUP_PASSES; pass < job.passes; pass++) {
    const began = performance.now()
    for (let i = 0; i < order.length; i++) target.set(keys[order[i] as number] as string, pass)
    if (pass >= 0) timed.set.push(((performance.now() - began) * 1e6) / order.length)
  }
  if (misses > 0) throw new Error(`correctness check failed: ${misses} gets missed keys that were set`)
  const state = (guarded as GuardedParts | undefined)?.breaker?.state
  if (state !== undefined && state !== 'closed') throw new Error(`correctness check failed: the breaker is ${state} after calls that all succeeded`)
  return { ns: { get: median(timed.get), set: median(timed.set) } }
}
