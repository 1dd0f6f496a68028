/**
 * Counting a map's calls: a SharedMap made with metrics gets, as own properties, a
 * wrapper of each method of ops.ts that calls the class's method and records the
 * outcome in this thread's row. A map without metrics keeps the class's methods
 * untouched, so it pays nothing, not even a branch. Methods call each other only
 * through the class (never through `this.get` and kin), so no call counts twice.
 */
import { keyKind, type Key } from '../codec/index.js'
import type { MapCore } from '../map/core.js'
import { OPS, Outcome, errorOutcome, type OpSpec } from './ops.js'
import type { Recorder } from './recorder.js'

type Method = (this: unknown, ...args: unknown[]) => unknown

export function instrument(map: object, core: MapCore, recorder: Recorder): void {
  const proto = Object.getPrototypeOf(map) as Record<string, unknown>
  let retries = core.retries
  // Optimistic read retries are counted by the core; the row gets them after each call.
  const settle = (): void => {
    const now = core.retries
    if (now !== retries) {
      recorder.retried(now - retries)
      retries = now
    }
  }
  const sample = (key: unknown): void => {
    if (--recorder.gap === 0) recorder.sampled(core.hash(key as Key, keyKind(key as Key)))
  }
  OPS.forEach((spec, op) => {
    const method = proto[spec.name]
    if (typeof method !== 'function') return
    Object.defineProperty(map, spec.name, { value: wrapper(spec, op, method as Method, recorder, settle, sample), writable: true, configurable: true })
  })
}

function wrapper(spec: OpSpec, op: number, method: Method, recorder: Recorder, settle: () => void, sample: (key: unknown) => void): Method {
  const cells = op * 3
  const outcome = spec.outcome
  const failed = (err: unknown): void => {
    recorder.fail(op, errorOutcome(err))
    settle()
  }
  if (spec.async) {
    return function (this: unknown, ...args: unknown[]): unknown {
      return (method.apply(this, args) as Promise<unknown>).then(
        (value) => {
          recorder.count(cells + Outcome.ok)
          sample(args[0])
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
  const keyed = spec.keyed
  return function (this: unknown, ...args: unknown[]): unknown {
    let result: unknown
    try {
      result = method.apply(this, args)
    } catch (err) {
      failed(err)
      throw err
    }
    recorder.count(cells + outcome(result))
    if (keyed) sample(args[0])
    settle()
    return result
  }
}
