/**
 * Counting a map's calls: a SharedMap made with metrics gets, as own properties, a
 * wrapper of each method of ops.ts that calls the class's method and records the
 * outcome in this thread's row. A map without metrics keeps the class's methods
 * untouched, so it pays nothing, not even a branch. Methods call each other only
 * through the class (never through `this.get` and kin), so no call counts twice.
 */
import { keyKind, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from '../map/core.js'
import { OPS, Outcome, errorOutcome, type OpSpec } from './ops.js'
import type { Recorder } from './recorder.js'

type Method = (this: unknown, a?: unknown, b?: unknown, c?: unknown) => unknown

/** The longest parameter list of an op (compareAndSwap, update with options): wrappers pass three arguments, no rest array. */
const MAX_ARITY = 3

export function instrument(map: object, core: MapCore, recorder: Recorder): void {
  const proto = Object.getPrototypeOf(map) as Record<string, unknown>
  // Optimistic read retries are counted by the core; the row gets them after each call.
  const seen = { retries: core.retries }
  const settle = (): void => {
    recorder.retried(core.retries - seen.retries)
    seen.retries = core.retries
  }
  OPS.forEach((spec, op) => {
    const method = proto[spec.name]
    if (typeof method !== 'function') return
    if (method.length > MAX_ARITY) throw conmapError(ErrorCode.INVARIANT_VIOLATION, `metrics: SharedMap.${spec.name} takes more than ${MAX_ARITY} arguments, which its wrapper would drop`)
    Object.defineProperty(map, spec.name, { value: wrapper(spec, op, method as Method, core, recorder, seen, settle), writable: true, configurable: true })
  })
}

function wrapper(spec: OpSpec, op: number, method: Method, core: MapCore, recorder: Recorder, seen: { retries: number }, settle: () => void): Method {
  const cells = op * 3
  const outcome = spec.outcome
  const keyed = spec.keyed
  const failed = (err: unknown): void => {
    recorder.fail(op, errorOutcome(err))
    settle()
  }
  const sample = (key: unknown): void => recorder.sampled(core.hash(key as Key, keyKind(key as Key)))
  if (spec.async) {
    return function (this: unknown, a?: unknown, b?: unknown, c?: unknown): unknown {
      return (method.call(this, a, b, c) as Promise<unknown>).then(
        (value) => {
          recorder.count(cells + Outcome.ok)
          if (--recorder.gap === 0) sample(a)
          settle()
          return value
        },
        (err: unknown) => {
          failed(err)
          throw err
        },
      )
    }
  }
  return function (this: unknown, a?: unknown, b?: unknown, c?: unknown): unknown {
    let result: unknown
    try {
      result = method.call(this, a, b, c)
    } catch (err) {
      failed(err)
      throw err
    }
    recorder.count(cells + outcome(result))
    if (keyed && --recorder.gap === 0) sample(a)
    if (core.retries !== seen.retries) settle()
    return result
  }
}
