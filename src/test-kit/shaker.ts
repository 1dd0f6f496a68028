/**
 * Schedule shaking: seeded random delays at the awaits of conmap's own async APIs
 * (shared/yield-point.ts), so that interleavings a quiet test run never produces
 * (a lock granted late, a flight joined after it was meant to be) show up in a few
 * runs, and a failing one can be run again from its seed.
 *
 * Decisions come from one seeded generator, drawn in the order the yield points
 * are met: per point, one draw decides whether to delay, and a delayed point draws
 * its length, 1 to maxTurns turns of the event loop (setImmediate each). Delays
 * are counted in turns, not milliseconds, so that they order against the program's
 * own microtasks and immediates the same way on a fast machine and a loaded one:
 * the same seed gives the same decisions, and a program whose other awaits are
 * microtasks and immediates meets the same points in the same order and fails
 * again. Timers and real I/O in the program run on the clock; against those a seed
 * reproduces the decisions, not always the failure. So does randomness of the
 * program's own: a SharedKeyedMutex hashes keys under a seed drawn per mutex, so
 * which keys share a stripe (and wait for each other) changes from run to run.
 */
import { getRandomValues } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { installedYieldHook, setYieldHook, YIELD_SITES, type YieldSite } from '../shared/yield-point.js'

export type { YieldSite }

/** Options of shake() and shakeRuns(). */
export interface ShakeOptions {
  /**
   * The generator's seed, an integer from 0 to 2^32 - 1: the same seed gives the
   * same decisions. shakeRuns() uses seed, seed + 1, … for its runs.
   * @default a random seed (shown in every failure report)
   */
  readonly seed?: number | undefined
  /**
   * Chance that a yield point is delayed, from 0 to 1.
   * @default 0.5
   */
  readonly probability?: number | undefined
  /**
   * Longest delay, in turns of the event loop (setImmediate), an integer from 1 to
   * 1000; a delay is drawn evenly from 1 to it.
   * @default 4
   */
  readonly maxTurns?: number | undefined
  /**
   * The yield points to shake; the others go straight on.
   * @default every site
   */
  readonly sites?: readonly YieldSite[] | undefined
}

/** One yield point met under a shaker: where, and the delay given in turns (undefined: none). */
export interface ShakeDecision {
  readonly site: YieldSite
  readonly delay: number | undefined
}

/** The shaker installed by shake(): stop() (or `using`) removes it. */
export interface Shaker extends Disposable {
  /** The seed its decisions come from: pass it to shake() or shakeRuns() to replay them. */
  readonly seed: number
  /** Every yield point met so far, in order, with the decision made there. */
  readonly decisions: readonly ShakeDecision[]
  /** Removes the shaker from this thread; later yield points go straight on. Idempotent. */
  stop(): void
}

/** What shakeRuns() found when every run passed. */
export interface ShakeSummary {
  /** The seeds run, in order. */
  readonly seeds: readonly number[]
  /** Yield points met in all runs, and how many of them were delayed. */
  readonly points: number
  readonly delayed: number
}

/**
 * A run that failed under schedule shaking: the seed that replays it, and the
 * error it failed with as `cause`.
 */
export class ShakeFailure extends Error {
  /** The seed of the failing run. */
  readonly seed: number
  /** Which run failed, from 1. */
  readonly run: number
  /** The decisions of the failing run, in order. */
  readonly decisions: readonly ShakeDecision[]

  /** @internal */
  constructor(seed: number, run: number, runs: number, decisions: readonly ShakeDecision[], cause: unknown) {
    const why = cause instanceof Error ? cause.message : describeValue(cause)
    super(
      `failed under schedule shaking with seed ${seed} (run ${run} of ${runs}, ${decisions.filter((d) => d.delay !== undefined).length} of ${decisions.length} yield points delayed): ${why}\n` +
        `  replay it: shakeRuns(fn, { seed: ${seed}, runs: 1 }) or shake({ seed: ${seed} }), with the same probability, maxTurns and sites`,
      { cause },
    )
    this.name = 'ShakeFailure'
    this.seed = seed
    this.run = run
    this.decisions = decisions
  }
}

interface Settings {
  readonly seed: number
  readonly probability: number
  readonly maxTurns: number
  readonly sites: ReadonlySet<YieldSite>
}

function settingsOf(options: ShakeOptions | undefined, what: string): Settings {
  const bad = (name: string, value: unknown, rule: string) => conmapError(ErrorCode.INVALID_ARGUMENT, `${what}: ${name} must be ${rule}, got ${describeValue(value)}`)
  const seed = options?.seed ?? (getRandomValues(new Uint32Array(1))[0] as number)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw bad('seed', seed, 'an integer from 0 to 2^32 - 1')
  const probability = options?.probability ?? 0.5
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) throw bad('probability', probability, 'a number from 0 to 1')
  const maxTurns = options?.maxTurns ?? 4
  if (!Number.isInteger(maxTurns) || maxTurns < 1 || maxTurns > 1000) throw bad('maxTurns', maxTurns, 'an integer from 1 to 1000')
  const sites = options?.sites ?? YIELD_SITES
  if (!Array.isArray(sites)) throw bad('sites', sites, 'an array of yield sites')
  for (const site of sites) if (!YIELD_SITES.includes(site)) throw bad('sites', site, `one of ${YIELD_SITES.join(', ')}`)
  return { seed, probability, maxTurns, sites: new Set(sites) }
}

/** mulberry32: a small, fast 32-bit generator; uniform enough to pick delays, and every seed is its own sequence. */
function generator(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await turn()
}

function install(settings: Settings, what: string): Shaker {
  if (installedYieldHook() !== undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `${what}: a shaker is already installed in this thread; stop it first`)
  const next = generator(settings.seed)
  const decisions: ShakeDecision[] = []
  const hook = (site: YieldSite): Promise<void> | undefined => {
    if (!settings.sites.has(site)) return undefined
    if (next() >= settings.probability) {
      decisions.push({ site, delay: undefined })
      return undefined
    }
    const delay = 1 + Math.floor(next() * settings.maxTurns)
    decisions.push({ site, delay })
    return turns(delay)
  }
  setYieldHook(hook)
  const stop = (): void => {
    if (installedYieldHook() === hook) setYieldHook(undefined)
  }
  return { seed: settings.seed, decisions, stop, [Symbol.dispose]: stop }
}

/**
 * Installs a schedule shaker in this thread: from now until stop(), each await of
 * conmap's async APIs (KeyedMutex and SharedKeyedMutex requests and grants,
 * Singleflight joins and results, SharedMap getOrComputeAsync) is delayed with
 * `probability`, by 1 to `maxTurns` turns of the event loop, decided by a generator
 * seeded with `seed`.
 * Other threads are not shaken (install a shaker in each worker for that). With no
 * shaker installed those awaits cost nothing extra.
 * @throws ConmapError ERR_INVALID_ARGUMENT for a bad option, or when a shaker is
 *   already installed in this thread
 * @example
 * ```ts
 * import { shake } from 'conmap/test'
 * using shaker = shake({ seed: 42, probability: 0.5, maxTurns: 3 })
 * await checkout(cart)                 // its KeyedMutex grants now come late, at random
 * console.log(shaker.decisions.length, 'yield points met')
 * ```
 */
export function shake(options?: ShakeOptions): Shaker {
  return install(settingsOf(options, 'shake()'), 'shake()')
}

/**
 * Runs `fn` `runs` times, each under a shaker seeded with the next seed (seed,
 * seed + 1, …), until a run throws or rejects; that failure is rethrown as a
 * ShakeFailure that names the seed (its message says how to replay it) with the
 * original error as `cause`. Runs are sequential; fn should build its own state.
 * @param options.runs how many runs, a positive integer (default 100)
 * @throws ShakeFailure when a run fails; ConmapError ERR_INVALID_ARGUMENT for a bad
 *   option or when a shaker is already installed in this thread
 * @example
 * ```ts
 * import { shakeRuns } from 'conmap/test'
 * test('two bookings of one seat: one wins', () => shakeRuns(async () => {
 *   const results = await Promise.all([book('12A', 'ann'), book('12A', 'bob')])
 *   assert.equal(results.filter(Boolean).length, 1)
 * }, { runs: 200, maxTurns: 2 }))
 * // a failure reads: "failed under schedule shaking with seed 3141 (run 7 of 200, …)"
 * ```
 */
export async function shakeRuns(fn: () => unknown, options?: ShakeOptions & { readonly runs?: number | undefined }): Promise<ShakeSummary> {
  const runs = options?.runs ?? 100
  if (!Number.isInteger(runs) || runs < 1) throw conmapError(ErrorCode.INVALID_ARGUMENT, `shakeRuns(): runs must be a positive integer, got ${describeValue(runs)}`)
  if (typeof fn !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, `shakeRuns(): fn must be a function, got ${describeValue(fn)}`)
  const first = settingsOf(options, 'shakeRuns()')
  const seeds: number[] = []
  let points = 0
  let delayed = 0
  for (let run = 1; run <= runs; run++) {
    const seed = (first.seed + run - 1) >>> 0
    const shaker = install({ ...first, seed }, 'shakeRuns()')
    seeds.push(seed)
    try {
      await fn()
    } catch (error) {
      throw new ShakeFailure(seed, run, runs, shaker.decisions, error)
    } finally {
      shaker.stop()
      points += shaker.decisions.length
      delayed += shaker.decisions.filter((decision) => decision.delay !== undefined).length
    }
  }
  return { seeds, points, delayed }
}
