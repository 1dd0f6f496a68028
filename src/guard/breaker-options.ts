/** The options of a CircuitBreaker, checked and resolved to the numbers its shared memory keeps. */
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'

/**
 * When a CircuitBreaker opens and how it closes again. Both trip rules look at the
 * calls of the current closed period that ended within the last `window` ms; the
 * breaker opens when either holds. With neither `failures` nor `failureRate` given,
 * it opens at 5 failures.
 */
export interface BreakerOptions {
  /**
   * Open once this many calls failed within the window: a positive integer.
   * @default 5 when failureRate is not given, else off
   */
  readonly failures?: number | undefined
  /**
   * Open once this share of the window's calls failed (and at least minCalls were
   * made): a number in (0, 1]. Each thread counts its successes at once but puts them
   * into the window's buckets 16 at a time (and at each of its failures), in the
   * bucket of that moment: the rule never opens earlier than with every success in
   * the bucket it ended in, and may open later, counting up to 15 successes per
   * thread that ended before the window.
   * @default off
   */
  readonly failureRate?: number | undefined
  /**
   * Calls the window must hold before failureRate may open the breaker: a positive integer.
   * @default 20
   */
  readonly minCalls?: number | undefined
  /**
   * The sliding window in ms (kept as 10 buckets of window / 10 ms each; the oldest
   * bucket leaves as a whole): a number from 10 to 2^31 - 1.
   * @default 10000
   */
  readonly window?: number | undefined
  /**
   * ms the breaker stays open before it lets probes through (half-open); also how
   * long half-open probes may stay out before new ones are let through in their
   * place: a positive number below 2^31.
   * @default 5000
   */
  readonly resetAfter?: number | undefined
  /**
   * Probes let through while half-open, an integer from 1 to 1000: the breaker closes
   * once all of them succeed, and opens again at the first that fails.
   * @default 1
   */
  readonly halfOpenCalls?: number | undefined
  /**
   * A call that waited this many ms or more for the map's locks counts as failed,
   * even if it then succeeded: a positive number, or Infinity for off.
   * @default Infinity
   */
  readonly slowCall?: number | undefined
}

/** The resolved options: 0 turns a trip rule off. */
export interface BreakerConfig {
  readonly failures: number
  readonly failureRate: number
  readonly minCalls: number
  readonly window: number
  readonly resetAfter: number
  readonly halfOpenCalls: number
  readonly slowCall: number
}

const MAX_MS = 2 ** 31 - 1
const optionNames: ReadonlySet<string> = new Set(['failures', 'failureRate', 'minCalls', 'window', 'resetAfter', 'halfOpenCalls', 'slowCall'])

function bad(name: string, value: unknown, want: string): never {
  throw conmapError(ErrorCode.INVALID_ARGUMENT, `breaker.${name} must be ${want}, got ${describeValue(value)}`)
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) bad(name, value, `an integer from ${min} to ${max}`)
  return value
}

function ms(name: string, value: unknown, min: number, fallback: number, infinite = false): number {
  if (value === undefined) return fallback
  if (infinite && value === Infinity) return value
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_MS) bad(name, value, `a number of ms from ${min} to 2^31 - 1${infinite ? ', or Infinity' : ''}`)
  return value
}

export function breakerConfig(options: unknown): BreakerConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `breaker options must be an object, got ${describeValue(options)}`)
  }
  for (const name of Object.keys(options)) {
    if (!optionNames.has(name)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `unknown breaker option '${name}' (known: ${[...optionNames].join(', ')})`)
  }
  const o = options as BreakerOptions
  const rate = o.failureRate
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) bad('failureRate', rate, 'a number in (0, 1]')
  return {
    failures: integer('failures', o.failures, 1, 2 ** 30, rate === undefined ? 5 : 0),
    failureRate: rate ?? 0,
    minCalls: integer('minCalls', o.minCalls, 1, 2 ** 30, 20),
    window: ms('window', o.window, 10, 10_000),
    resetAfter: ms('resetAfter', o.resetAfter, Number.MIN_VALUE, 5_000),
    halfOpenCalls: integer('halfOpenCalls', o.halfOpenCalls, 1, 1000, 1),
    slowCall: ms('slowCall', o.slowCall, Number.MIN_VALUE, Infinity, true),
  }
}
