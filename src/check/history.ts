/**
 * The recorded history of a conmap map, as `checkHistory` reads it.
 *
 * A recorder (the storm workers, or a user's own harness) writes one Operation per
 * call: when it was invoked, when it answered and what it answered, on a clock that
 * all threads share. An operation without `ret` is pending: its worker died while
 * the call was in flight, so it may or may not have taken effect and its answer is
 * unknown. The shapes of `args` and `result` mirror the SharedMap methods of the
 * same names; `update` takes a serializable description of its callback because a
 * history must be replayable outside the thread that recorded it.
 */
import type { CheckOptions } from './model.js'

/** A map key: SameValueZero identity, like `Map` (1 and '1' differ). */
export type Key = string | number | bigint

/**
 * A deterministic `update` callback, described as data.
 * - `increment`: absent (or undefined) counts as 0; the result is the new value.
 * - `set`: stores `value`; the result is `value`.
 * - `delete`: removes the key (the callback returned undefined); the result is undefined.
 */
export type UpdateDescriptor =
  | { readonly kind: 'increment'; readonly by: number }
  | { readonly kind: 'set'; readonly value: unknown }
  | { readonly kind: 'delete' }

/**
 * The per-key operations, with `args` (after the key) and `result`:
 *
 * | op                 | args            | result                  |
 * |--------------------|-----------------|-------------------------|
 * | `get`              | `[]`            | value or undefined      |
 * | `has`              | `[]`            | boolean                 |
 * | `set`              | `[value]`       | ignored                 |
 * | `delete`           | `[]`            | boolean                 |
 * | `loadOrStore`      | `[value]`       | `{ value, loaded }`     |
 * | `loadAndDelete`    | `[]`            | `{ value, loaded }`     |
 * | `swap`             | `[value]`       | `{ previous, loaded }`  |
 * | `compareAndSwap`   | `[old, next]`   | boolean                 |
 * | `compareAndDelete` | `[old]`         | boolean                 |
 * | `getOrCompute`     | `[value]`       | the value now stored    |
 * | `update`           | `[UpdateDescriptor]` | the new value      |
 * | `getVersioned`     | `[]`            | `{ value, version }` or undefined |
 * | `setIfVersion`     | `[value, version]` | boolean              |
 * | `deleteIfVersion`  | `[version]`     | boolean                 |
 *
 * Versions are numbers the map picks (SharedMap.getVersioned), so the checker
 * only holds them to what every correct map guarantees: a version names one write
 * of the key, the versions of a key's writes rise in linearization order (at least
 * by one per write), and setIfVersion / deleteIfVersion succeed exactly when the
 * expected version is the key's current one (0, ABSENT_VERSION, asks for absence).
 */
export const MAP_OPS = [
  'get',
  'has',
  'set',
  'delete',
  'loadOrStore',
  'loadAndDelete',
  'swap',
  'compareAndSwap',
  'compareAndDelete',
  'getOrCompute',
  'update',
  'getVersioned',
  'setIfVersion',
  'deleteIfVersion',
] as const

export type MapOp = (typeof MAP_OPS)[number]

export interface Operation {
  /** Which worker issued the call; only used to print histories. */
  readonly thread: number
  readonly key: Key
  readonly op: MapOp
  /** The call's arguments after the key. */
  readonly args: readonly unknown[]
  /** The response; ignored when the operation is pending. */
  readonly result?: unknown
  /** Invocation time, in ms on a clock shared by all threads. */
  readonly call: number
  /** Response time; undefined when the operation is pending. */
  readonly ret?: number | undefined
}

/** Options of `checkHistory`. */
export interface HistoryCheckOptions extends CheckOptions {
  /**
   * The history comes from a cache map (default false): an entry may vanish,
   * expired or evicted, at any instant after it was written, but it never
   * reappears unless written again, and a read never shows a value nobody wrote.
   */
  readonly cache?: boolean
}

export interface HistoryCheckResult {
  /** null when the budget ran out before a verdict. */
  readonly linearizable: boolean | null
  /** Operations in the keys that were decided. */
  readonly operationsChecked: number
  /** Keys whose sub-history was decided. */
  readonly keysChecked: number
  /** The first key found not linearizable, explained. */
  readonly failure?: {
    readonly key: Key
    /** The counter-example, in call order. */
    readonly operations: Operation[]
    /**
     * The operation whose response first made the key's history non-linearizable;
     * absent when the budget ran out before it was located.
     */
    readonly culprit?: Operation
  }
}
