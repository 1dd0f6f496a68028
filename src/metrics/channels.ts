/**
 * Map calls and lock waits on `node:diagnostics_channel`, for a map made with
 * metrics: true (the instrumentation of instrument.ts carries them, so a map
 * without metrics has no wrapper and publishes nothing).
 *
 *   tracing:conmap:map:op:start|end|error   one counted call (TracingChannel 'conmap:map:op');
 *   tracing:conmap:map:op:asyncStart|asyncEnd   getOrComputeAsync's settlement
 *   conmap:lock:wait                        a lock acquisition that had to wait
 *
 * Cost without subscribers: a call tests `hasSubscribers` of three channels (a
 * prototype getter V8 inlines) before taking the counting path; the traced path,
 * which builds a message and hashes the key, runs only while someone listens. A
 * lock wait tests one channel, after the wait. Channels are per thread, like
 * every JS object: a subscriber in the main thread hears the main thread's calls,
 * not a worker's (metrics() and hotKeys() are the view over every thread).
 *
 * Keys are published as the map's own 32-bit hash of the key in 8 hex digits,
 * never raw, and values never: a subscriber is often an APM agent shipping what it
 * hears off the machine.
 */
import { channel, tracingChannel, type Channel } from 'node:diagnostics_channel'
import { keyKind, type Key } from '../codec/index.js'
import type { MapCore } from '../map/core.js'
import { ERROR_OUTCOMES, Outcome, errorOutcome } from './ops.js'

/**
 * The name of the TracingChannel of map calls (maps made with metrics: true): its
 * channels are `tracing:conmap:map:op:start`, `end`, `error`, and `asyncStart` /
 * `asyncEnd` for getOrComputeAsync; each carries a MapOpMessage. Per thread: a
 * subscriber hears its own thread's calls.
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel'
 * tracingChannel<object, MapOpMessage>(OP_CHANNEL).end.subscribe((m) => console.log(m.op, m.key, m.outcome))
 * ```
 */
export const OP_CHANNEL = 'conmap:map:op'
/**
 * The name of the channel of lock waits (maps made with metrics: true): one
 * LockWaitMessage per acquisition that had to wait, published once the lock is
 * held. Acquisitions that did not wait publish nothing. Per thread.
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe(LOCK_WAIT_CHANNEL, (m) => { const { mode, seconds } = m as LockWaitMessage })
 * ```
 */
export const LOCK_WAIT_CHANNEL = 'conmap:lock:wait'

/**
 * The message of a map call on the TracingChannel `conmap:map:op`: the same object
 * on start, end, error, asyncStart and asyncEnd of one call (so subscribers can
 * keep their span in a WeakMap or bind a store to it).
 */
export interface MapOpMessage {
  /** The SharedMap object the call was made on (this thread's object for the map). */
  readonly map: object
  /** The method: 'get', 'set', 'getOrComputeAsync', … (the `op` label of conmap_map_operations_total). */
  readonly op: string
  /** The key's 32-bit hash in the map, 8 hex digits; undefined for a call without a key (clear, range, batches …). */
  readonly key: string | undefined
  /** Set by end (or asyncEnd): 'hit', 'miss', 'ok', or the error code of what the call threw ('error' for no ConmapError). */
  outcome: string | undefined
  /** Set by error: what the call threw or rejected with. */
  error?: unknown
}

/** The message of a lock wait on the channel `conmap:lock:wait`, published once the lock is held. */
export interface LockWaitMessage {
  readonly map: object
  /** 'read' for a shared (reader's) lock, 'write' for an exclusive one. */
  readonly mode: 'read' | 'write'
  /** How long the acquisition waited, in seconds (the value conmap_lock_wait_seconds observes). */
  readonly seconds: number
}

const ops = tracingChannel<object, MapOpMessage>(OP_CHANNEL)
export const opStart: Channel = ops.start
export const opEnd: Channel = ops.end
export const opError: Channel = ops.error
export const opAsyncEnd: Channel = ops.asyncEnd
export const lockWaits: Channel = channel(LOCK_WAIT_CHANNEL)

/** Names of the success outcomes, by their index in Outcome (ops.ts). */
const SUCCESSES = ['hit', 'miss', 'ok'] as const

export function outcomeName(index: number): string {
  return index < 3 ? (SUCCESSES[index] as string) : (ERROR_OUTCOMES[index - 3] as string)
}

export function errorName(err: unknown): string {
  return outcomeName(errorOutcome(err))
}

/** The key as messages show it; undefined for what is no key (the call itself then throws ERR_INVALID_KEY). */
export function keyHash(core: MapCore, key: unknown): string | undefined {
  try {
    return (core.hash(key as Key, keyKind(key as Key)) >>> 0).toString(16).padStart(8, '0')
  } catch {
    return undefined
  }
}

type Method = (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown) => unknown

/** The traced path of a synchronous call: `counted` is the call's counting wrapper. */
export function traceSync(message: MapOpMessage, counted: Method, self: unknown, outcome: (result: unknown) => number, a: unknown, b: unknown, c: unknown, d: unknown): unknown {
  return opStart.runStores(message, () => {
    try {
      const result = counted.call(self, a, b, c, d)
      message.outcome = outcomeName(outcome(result))
      return result
    } catch (err) {
      message.error = err
      message.outcome = errorName(err)
      opError.publish(message)
      throw err
    } finally {
      opEnd.publish(message)
    }
  })
}

/**
 * The traced path of a call that returns a Promise, as TracingChannel.tracePromise
 * publishes it: end when the call returns its promise (not when it settles: spans
 * end on asyncEnd), then error on a rejection, asyncStart and asyncEnd on settling.
 */
export function tracePromise(message: MapOpMessage, counted: Method, self: unknown, a: unknown, b: unknown, c: unknown, d: unknown): unknown {
  const settle = (): void => {
    ops.asyncStart.publish(message)
    ops.asyncEnd.publish(message)
  }
  return opStart.runStores(message, () => {
    try {
      return (counted.call(self, a, b, c, d) as Promise<unknown>).then(
        (value) => {
          message.outcome = outcomeName(Outcome.ok)
          settle()
          return value
        },
        (err: unknown) => {
          message.error = err
          message.outcome = errorName(err)
          opError.publish(message)
          settle()
          throw err
        },
      )
    } finally {
      opEnd.publish(message)
    }
  })
}
