/**
 * The guard section's worker side (issue 12): what guard() and `metrics: true` add to
 * a get, a has and a set on one thread. A variant is the map's options, guard()'s
 * (none: the map unguarded) and its values (numbers, or the small objects of issue 9
 * under the default 'structured' codec, where a get decodes and a set encodes); its
 * bare map holds the same values, so a ratio is the variant's parts alone.
 *
 * One worker per variant and round, holding the variant and a bare map side by side
 * (each with loops of its own: every call site sees one receiver, as a user's does):
 * set every key in both, then get passes over a seeded uniform order of the keys
 * (each key read before and not written since: the read cache answers, so the
 * wrapper's share of a call is at its largest), then set passes over the same order,
 * each pass of the variant right after the same pass on the bare map, so that load
 * on the machine slows both sides of a ratio alike. Two passes of each warm the JIT
 * up; a figure is the median pass, a ratio the median of the passes' ratios. Every get
 * must find its key; the breaker must still be closed at the end.
 */
import { guard, type GuardedParts, type GuardOptions } from '../guard/index.js'
import { SharedMap, type SharedMapOptions } from '../map/index.js'
import { xorshift } from './keys.js'
import { median } from './stats.js'

export const GUARD_VARIANTS = ['bare', 'guard', 'count', 'rate', 'audit', 'metrics', 'metricsObjects'] as const
export type GuardVariant = (typeof GUARD_VARIANTS)[number]
export const GUARD_OPS = ['get', 'has', 'set'] as const
export type GuardOp = (typeof GUARD_OPS)[number]

type Values = 'number' | 'object'

interface VariantSpec {
  readonly label: string
  readonly map: SharedMapOptions<unknown>
  /** undefined: the map itself, unguarded. */
  readonly guard: GuardOptions | undefined
  readonly values: Values
}

const TIMEOUT = { timeout: 50 } as const

export const VARIANTS: Readonly<Record<GuardVariant, VariantSpec>> = {
  bare: { label: 'new SharedMap()', map: {}, guard: undefined, values: 'number' },
  guard: { label: 'guard(map)', map: {}, guard: {}, values: 'number' },
  count: { label: 'guard(map, { timeout, breaker: { failures: 5 } })', map: {}, guard: { ...TIMEOUT, breaker: { failures: 5 } }, values: 'number' },
  rate: { label: 'guard(map, { timeout, breaker: { failureRate: 0.5 } })', map: {}, guard: { ...TIMEOUT, breaker: { failureRate: 0.5 } }, values: 'number' },
  audit: { label: 'guard(map, { timeout, breaker: { failures: 5 }, audit: {} })', map: {}, guard: { ...TIMEOUT, breaker: { failures: 5 }, audit: {} }, values: 'number' },
  metrics: { label: 'new SharedMap({ metrics: true })', map: { metrics: true }, guard: undefined, values: 'number' },
  metricsObjects: { label: 'new SharedMap({ metrics: true }), object values', map: { metrics: true }, guard: undefined, values: 'object' },
}

/** The value of key `id` written in pass `pass` (-1: the first fill): numbers, or issue 9's small objects. */
function valueOf(values: Values, id: number, pass: number): unknown {
  return values === 'number' ? id + pass : { id, gen: pass, name: `user ${id}`, tags: ['a', 'b'], score: id / 8 }
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
  /** The variant's median pass, ns per operation. */
  readonly ns: Readonly<Record<GuardOp, number>>
  /** Median over passes of the variant's pass over the bare map's pass just before it. */
  readonly ratio: Readonly<Record<GuardOp, number>>
}

const WARMUP_PASSES = 2

export function runGuardCostJob(job: GuardCostJob, waitAtGate: () => void): GuardCostResult {
  const spec = VARIANTS[job.variant]
  const bare = VARIANTS.bare
  const keys = Array.from({ length: job.keys }, (_, id) => `key:${id}`)
  const next = xorshift(11)
  const order = Int32Array.from({ length: job.opsPerPass }, () => next() % job.keys)
  const baseMap = new SharedMap<string, unknown>(bare.map)
  const map = new SharedMap<string, unknown>(spec.map)
  const guarded = spec.guard === undefined ? undefined : guard(map, spec.guard)
  const sides = [
    { target: baseMap, loops: compileLoops() },
    { target: guarded ?? map, loops: compileLoops() },
  ] as const
  for (const { target } of sides) for (const [id, key] of keys.entries()) target.set(key, valueOf(spec.values, id, -1))
  waitAtGate()
  const timed: Record<GuardOp, number[]> = { get: [], has: [], set: [] }
  const ratios: Record<GuardOp, number[]> = { get: [], has: [], set: [] }
  let misses = 0
  for (const op of GUARD_OPS) {
    for (let pass = -WARMUP_PASSES; pass < job.passes; pass++) {
      const value = valueOf(spec.values, 0, pass)
      const ns = sides.map(({ target, loops }) => {
        const began = performance.now()
        if (op === 'set') loops.set(target, keys, order, value)
        else misses += loops[op](target, keys, order)
        return ((performance.now() - began) * 1e6) / order.length
      })
      const [base = NaN, own = NaN] = ns
      if (pass < 0) continue
      timed[op].push(own)
      ratios[op].push(own / base)
    }
  }
  if (misses > 0) throw new Error(`correctness check failed: ${misses} gets or has calls missed keys that were set`)
  const state = (guarded as GuardedParts | undefined)?.breaker?.state
  if (state !== undefined && state !== 'closed') throw new Error(`correctness check failed: the breaker is ${state} after calls that all succeeded`)
  const metered = spec.map.metrics === true ? map.metrics().ops : undefined
  if (metered !== undefined) {
    for (const op of GUARD_OPS) {
      const expected = job.opsPerPass * (job.passes + WARMUP_PASSES) + (op === 'set' ? job.keys : 0)
      const counted = metered[op]?.ok ?? 0
      if (counted !== expected) throw new Error(`correctness check failed: metrics counted ${counted} ${op} calls, not ${expected}`)
    }
  }
  const figures = (from: Record<GuardOp, number[]>) => ({ get: median(from.get), has: median(from.has), set: median(from.set) })
  return { ns: figures(timed), ratio: figures(ratios) }
}

interface Target {
  get(key: string): unknown
  has(key: string): boolean
  set(key: string, value: unknown): unknown
}

interface Loops {
  /** A get of keys[order[i]] for every i; returns the misses. */
  readonly get: (target: Target, keys: readonly string[], order: Int32Array) => number
  /** A has of keys[order[i]] for every i; returns the misses. */
  readonly has: (target: Target, keys: readonly string[], order: Int32Array) => number
  readonly set: (target: Target, keys: readonly string[], order: Int32Array, value: unknown) => void
}

/**
 * The passes as functions of their own: closures of one function literal share
 * their call sites' feedback in V8, so the bare map's loop would see the guarded
 * object too and measure a polymorphic call; code compiled apart keeps each
 * side's sites monomorphic, as a user's are.
 */
function compileLoops(): Loops {
  return {
    get: new Function('target', 'keys', 'order', 'let misses = 0; for (let i = 0; i < order.length; i++) if (target.get(keys[order[i]]) === undefined) misses++; return misses') as Loops['get'],
    has: new Function('target', 'keys', 'order', 'let misses = 0; for (let i = 0; i < order.length; i++) if (!target.has(keys[order[i]])) misses++; return misses') as Loops['has'],
    set: new Function('target', 'keys', 'order', 'value', 'for (let i = 0; i < order.length; i++) target.set(keys[order[i]], value)') as Loops['set'],
  }
}
