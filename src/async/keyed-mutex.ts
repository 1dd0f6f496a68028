/**
 * KeyedMutex: a mutex per key for the async tasks of one thread.
 *
 * Every `await` is a place where another task runs, so `get; await; set` on one key
 * needs the key held across the await. A key that nobody holds has no entry at all
 * (a million keys locked once each leave an empty Map); a held key has an entry with
 * a FIFO queue of waiters.
 *
 * Release hands the key straight to the first waiter: the entry stays held and the
 * waiter is granted synchronously, before any other code runs. A task that unlocks
 * and locks again at once therefore queues behind its siblings instead of taking
 * the key back first (the starvation that a free-then-compete mutex allows).
 *
 * A multi-key request takes its keys one at a time in the total order of
 * key-order.ts, so two requests never wait for each other in a cycle. A request
 * that times out or aborts leaves no trace: its place in a queue is removed and the
 * keys it already held are released (handed on to their own waiters).
 */
import type { Key } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Guard } from '../sync/guard.js'
import { holdingAsync } from '../sync/holding.js'
import { yieldPoint } from '../shared/yield-point.js'
import { deadlineOf, type AsyncWaitOptions } from '../sync/wait.js'
import { orderedKeys } from './key-order.js'

/** A task waiting for one key: granted by the release that hands the key to it. */
interface Waiter {
  readonly grant: () => void
  prev: Waiter | undefined
  next: Waiter | undefined
}

/** A held key and the tasks waiting for it, first to last. */
interface Entry {
  head: Waiter | undefined
  tail: Waiter | undefined
}

/**
 * A held KeyedMutex lock, for `using` / `await using` or `release()`. Unlike a
 * Mutex guard, releasing it twice is a bug that throws: a late second release
 * would otherwise look like it freed a key that someone else now holds.
 * Disposal after an explicit release does nothing, so `using` plus an early
 * release is fine.
 */
export class KeyedGuard<K extends Key = Key> extends Guard {
  /** The keys held, sorted by the key order of lock() and without repeats (a KeyedMutex takes them in this order; a SharedKeyedMutex in stripe order). */
  readonly keys: readonly K[]

  /** @internal */
  constructor(keys: readonly K[], release: () => void, ownerDied = false) {
    super(release, ownerDied)
    this.keys = keys
  }

  /**
   * Releases every key of the guard, handing each to its first waiter.
   * @throws ConmapError ERR_GUARD_RELEASED if the guard was already released
   * @example
   * ```ts
   * const guard = await locks.lock('user:1')
   * try { await save() } finally { guard.release() }
   * ```
   */
  override release(): void {
    if (this.released) throw conmapError(ErrorCode.GUARD_RELEASED, `KeyedGuard.release: the keys ${this.keys.map((key) => describeValue(key)).join(', ')} were already released through this guard`)
    super.release()
  }

  override [Symbol.dispose](): void {
    if (!this.released) super.release()
  }

  override [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]()
    return Promise.resolve()
  }
}

/**
 * Mutual exclusion per key among the async tasks of one thread: FIFO per key,
 * several keys at once without lock-order deadlocks, `timeout` and `signal`.
 * Not re-entrant: a task that locks a key it already holds waits for itself (give
 * it a timeout). Across threads, use a `Mutex` (or the map's atomic `update`).
 *
 * @example
 * ```ts
 * const locks = new KeyedMutex()
 * await locks.runExclusive('user:1', async () => {
 *   const user = await load('user:1')
 *   await save('user:1', { ...user, visits: user.visits + 1 })
 * })
 * { await using guard = await locks.lock(['b', 'a'], { timeout: 1_000 }) }  // TypeScript, or Node 24
 * ```
 */
export class KeyedMutex<K extends Key = Key> {
  readonly #entries = new Map<K, Entry>()

  /**
   * Waits until every key is held by the caller and returns the guard that
   * releases them. Keys (one, or an array) are sorted by a total order over all
   * keys (strings, then numbers, then bigints; strings by UTF-16 code units,
   * numbers numerically with NaN last, bigints numerically), deduplicated with
   * Map's SameValueZero, and taken one at a time in that order, each in FIFO order.
   * A timeout or an abort leaves no trace: the request's place in its queue goes,
   * and the keys it already held are released.
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT once options.timeout ms pass
   *   (0: only if every key is free now); ERR_INVALID_KEY for a key that is no string,
   *   number or bigint; ERR_INVALID_ARGUMENT for an empty array or a bad timeout;
   *   `signal.reason` when options.signal aborts (an aborted signal rejects before
   *   anything is taken)
   * @example
   * ```ts
   * const guard = await locks.lock(['account:2', 'account:1'], { timeout: 500 })
   * try { await transfer() } finally { guard.release() }
   * ```
   */
  async lock(keys: K | readonly K[], options?: AsyncWaitOptions): Promise<KeyedGuard<K>> {
    const signal = options?.signal
    signal?.throwIfAborted()
    const ordered = orderedKeys(keys)
    const deadline = deadlineOf(options)
    const shaken = yieldPoint('KeyedMutex.lock')
    if (shaken !== undefined) {
      await shaken
      signal?.throwIfAborted()
    }
    return new Promise<KeyedGuard<K>>((resolve, reject) => {
      let held = 0
      let waiting: { readonly entry: Entry; readonly waiter: Waiter } | undefined
      let timer: ReturnType<typeof setTimeout> | undefined
      const settle = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const fail = (error: unknown): void => {
        settle()
        if (waiting !== undefined) unlink(waiting.entry, waiting.waiter)
        waiting = undefined
        this.#releaseKeys(ordered, held)
        reject(error)
      }
      const onAbort = (): void => fail(signal?.reason)
      const advance = (): void => {
        while (held < ordered.length) {
          const key = ordered[held] as K
          const entry = this.#entries.get(key)
          if (entry !== undefined) {
            const waiter: Waiter = { grant: granted, prev: undefined, next: undefined }
            append(entry, waiter)
            waiting = { entry, waiter }
            return
          }
          this.#entries.set(key, { head: undefined, tail: undefined })
          held++
        }
        settle()
        const guard = new KeyedGuard(ordered, () => this.#releaseKeys(ordered, ordered.length))
        const shakenGrant = yieldPoint('KeyedMutex.grant')
        if (shakenGrant === undefined) resolve(guard)
        else void shakenGrant.then(() => resolve(guard))
      }
      const granted = (): void => {
        waiting = undefined
        held++
        advance()
      }
      advance()
      if (held === ordered.length) return
      const left = deadline - performance.now()
      const timedOut = (): void => fail(this.#timeoutError(ordered, held, options?.timeout ?? 0))
      if (left <= 0) return timedOut()
      if (deadline !== Infinity) timer = setTimeout(timedOut, left)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Runs `fn` holding the keys (taken as lock() takes them) and releases them when
   * it settles, whether it returns, throws or rejects. `fn` gets the guard: code
   * that may run late (a timer, a callback) can call `guard.assertHeld()`.
   * @throws ConmapError (rejects with) as lock(); whatever fn throws, after the release
   * @example
   * ```ts
   * const total = await locks.runExclusive('counter', async () => {
   *   const n = await read()
   *   await write(n + 1)
   *   return n + 1
   * }, { timeout: 2_000 })
   * ```
   */
  async runExclusive<T>(keys: K | readonly K[], fn: (guard: KeyedGuard<K>) => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T> {
    const guard = await this.lock(keys, options)
    return holdingAsync(() => guard[Symbol.dispose](), () => fn(guard))
  }

  /**
   * Whether some task holds `key` now (a snapshot: the next task may take it at once).
   * @example
   * ```ts
   * if (locks.isLocked('report')) console.log('a report is being built; waiting for it')
   * ```
   */
  isLocked(key: K): boolean {
    return this.#entries.has(key)
  }

  /**
   * How many keys are held now. An idle KeyedMutex keeps no memory for any key: 0.
   * @example
   * ```ts
   * await Promise.all(jobs.map((job) => locks.runExclusive(job.key, () => run(job))))
   * console.assert(locks.size === 0)
   * ```
   */
  get size(): number {
    return this.#entries.size
  }

  /** Releases the first `count` of keys: each goes to its first waiter, or is freed. */
  #releaseKeys(keys: readonly K[], count: number): void {
    for (let i = 0; i < count; i++) {
      const key = keys[i] as K
      const entry = this.#entries.get(key)
      const next = entry?.head
      if (entry === undefined || next === undefined) {
        this.#entries.delete(key)
        continue
      }
      unlink(entry, next)
      next.grant()
    }
  }

  #timeoutError(keys: readonly K[], held: number, timeout: number): Error {
    const key = describeValue(keys[held])
    const part = keys.length > 1 ? ` (${held} of its ${keys.length} keys held meanwhile, now released)` : ''
    return conmapError(ErrorCode.LOCK_TIMEOUT, `KeyedMutex.lock: key ${key} was still held by another task after ${timeout} ms${part}`)
  }
}

function append(entry: Entry, waiter: Waiter): void {
  waiter.prev = entry.tail
  if (entry.tail === undefined) entry.head = waiter
  else entry.tail.next = waiter
  entry.tail = waiter
}

function unlink(entry: Entry, waiter: Waiter): void {
  if (waiter.prev === undefined) entry.head = waiter.next
  else waiter.prev.next = waiter.next
  if (waiter.next === undefined) entry.tail = waiter.prev
  else waiter.next.prev = waiter.prev
  waiter.prev = undefined
  waiter.next = undefined
}
