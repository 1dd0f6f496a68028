/**
 * SharedKeyedMutex: KeyedMutex for every thread of the process, over shared memory.
 *
 * Keys are hashed onto a fixed number of stripes (HalfSipHash-1-3, codec/hash.ts,
 * under a seed drawn per mutex and kept in the buffer, so that every thread puts a
 * key on the same stripe and nobody can aim many keys at one stripe). A stripe is
 * a LockWord (sync/lock-word.ts), the owner-aware futex mutex behind Mutex, with
 * its dead-owner take-over. Two keys on one stripe exclude each other.
 *
 * Layout (Int32 words):
 *   0 magic | 1 stripes (a power of two) | 2-3 hash seed
 *   4 + 3s, 4 + 3s + 1   stripe s's lock word (LOCK_WORDS = 2: state, recovered)
 *   4 + 3s + 2           stripe s's grants: bumped, then notified, by each acquisition
 * so a mutex of n stripes is 4 + 3n words. The header is written before the handle
 * exists and never changes; the lock words are written only through LockWord; the
 * grants word only by the thread that has just acquired its stripe.
 *
 * Two levels. A LockWord belongs to a thread, and the async tasks of a thread share
 * that ownership, so the tasks of one thread first queue for a stripe among
 * themselves, in a KeyedMutex over stripe numbers (FIFO), and only the task at the
 * head waits for the word, with Atomics.waitAsync: the event loop never blocks.
 * There is one such queue per buffer per thread (`localOf`): with a second one, two
 * tasks of a thread could both go for the word, and the word, which knows threads
 * and not tasks, would shut out one for ever as held by its own thread.
 *
 * Order: a request takes its stripes (sorted, deduplicated) in its thread's queue
 * first, then their words in ascending stripe order. Every wait is for something
 * later in one total order (queue places by stripe, then words by stripe), and no
 * task that holds a word waits for a queue place, so no cycle of waits forms: no
 * lock-order deadlock, within a thread or across threads.
 *
 * Fairness across threads: the word is Drepper's mutex, not a queue, and the
 * releasing thread's next task runs before the thread it woke does, so a thread
 * with tasks queued could keep a stripe for ever. A release that woke a waiting
 * thread therefore notes the stripe's grants; the thread's next task for the
 * stripe waits (at most YIELD_MS) for that count to move, that is, for another
 * thread to have had the stripe. Under contention threads take turns. It is not a
 * queue: a woken thread that waits longer than YIELD_MS for a core loses its turn
 * to whoever runs first, so on an oversubscribed machine a thread can still lose
 * many times in a row (scripts/keyed-fairness.mjs measures it beside Mutex).
 */
import { hashKey, keyKind, randomHashSeed, type Key } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode, isConmapError } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { yieldPoint } from '../shared/yield-point.js'
import { holdingAsync } from '../sync/holding.js'
import { LOCK_WORDS, LockWord } from '../sync/lock-word.js'
import { attachStorage, claimStorage } from '../sync/storage.js'
import type { ThreadRegistry } from '../sync/threads.js'
import { deadlineOf, runAsync, step, type AsyncWaitOptions, type Steps } from '../sync/wait.js'
import { orderedKeys } from './key-order.js'
import { KeyedGuard, KeyedMutex } from './keyed-mutex.js'

const STRIPES = 1
const SEED = 2
const HEADER_WORDS = 4
const GRANTS = LOCK_WORDS // 2: after the lock word in a stripe
const STRIPE_WORDS = LOCK_WORDS + 1 // 3
const DEFAULT_STRIPES = 1024
const MAX_STRIPES = 1 << 20
/** Longest a thread steps back from a stripe it just handed to a woken thread. */
const YIELD_MS = 20

declare const keyType: unique symbol

/**
 * The handle of a SharedKeyedMutex<K>. K exists only for the compiler, as in
 * SharedMapHandle: a handle received untyped attaches with the key type the caller names.
 */
export interface SharedKeyedMutexHandle<K extends Key = Key> extends Handle<typeof Kind.SharedKeyedMutex> {
  /** Never present. A method, so that its parameter compares both ways. */
  [keyType]?(key: K): void
}

/** Options of a new SharedKeyedMutex. */
export interface SharedKeyedMutexOptions {
  /**
   * Lock words the keys are hashed onto, a power of two from 1 to 2^20; each costs
   * 12 bytes. Two keys on one stripe exclude each other, so more stripes mean less
   * false contention (and a lower chance that nested lock() calls collide, see lock()).
   * @default 1024
   */
  readonly stripes?: number | undefined
}

/** This thread's side of one SharedKeyedMutex buffer. */
interface Local {
  /** The tasks of this thread in line for each stripe. */
  readonly queue: KeyedMutex<number>
  /** Stripe -> its grants when this thread last handed it to a woken thread. */
  readonly handedOver: Map<number, number>
}

const locals = new WeakMap<SharedArrayBuffer, Local>()

function localOf(buffer: SharedArrayBuffer): Local {
  let local = locals.get(buffer)
  if (local === undefined) locals.set(buffer, (local = { queue: new KeyedMutex<number>(), handedOver: new Map() }))
  return local
}

/**
 * KeyedMutex for every thread of the process: a lock per key in shared memory,
 * with the same API (lock, runExclusive, guards, `timeout` and `signal`, several
 * keys at once without lock-order deadlocks). Send `.handle` to workers and
 * `SharedKeyedMutex.attach` it there, or pass the mutex to `share()`.
 *
 * Keys are hashed onto `stripes` lock words: two keys on one stripe exclude each
 * other. Within a thread, tasks get a stripe in FIFO order; across threads they
 * take turns under contention (see lock()). A thread that dies holding keys is
 * found, and the next holder gets them with `guard.ownerDied` set.
 *
 * @example
 * ```ts
 * const locks = new SharedKeyedMutex({ stripes: 4096 })   // workerData: { locks: locks.handle }
 * // in a worker: const locks = SharedKeyedMutex.attach(workerData.locks)
 * await locks.runExclusive(`user:${id}`, async () => {
 *   const visits = users.get(id) ?? 0
 *   await audit(id)
 *   users.set(id, visits + 1)
 * }, { timeout: 1_000 })
 * ```
 */
export class SharedKeyedMutex<K extends Key = Key> {
  /** Structured-cloneable: send it to a worker and `SharedKeyedMutex.attach` it there. */
  readonly handle: SharedKeyedMutexHandle<K>
  readonly #i32: Int32Array
  /** Each stripe's LockWord, made when the stripe is first used in this thread. */
  readonly #words: Array<LockWord | undefined>
  readonly #registry: ThreadRegistry
  readonly #mask: number
  readonly #seed0: number
  readonly #seed1: number
  readonly #local: Local

  /**
   * A mutex of `options.stripes` lock words, every key free.
   * @throws ConmapError ERR_INVALID_ARGUMENT when stripes is no power of two from 1 to 2^20
   */
  constructor(options?: SharedKeyedMutexOptions) {
    const stripes = options?.stripes ?? DEFAULT_STRIPES
    if (!Number.isInteger(stripes) || stripes < 1 || stripes > MAX_STRIPES || (stripes & (stripes - 1)) !== 0) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `SharedKeyedMutex: stripes must be a power of two from 1 to ${MAX_STRIPES}, got ${describeValue(stripes)}`)
    }
    const { i32, registry, handle, fresh } = claimStorage(Kind.SharedKeyedMutex, () => HEADER_WORDS + stripes * STRIPE_WORDS)
    if (fresh) {
      const [seed0, seed1] = randomHashSeed()
      i32[STRIPES] = stripes
      i32[SEED] = seed0
      i32[SEED + 1] = seed1
    }
    this.handle = handle
    this.#i32 = i32
    const count = i32[STRIPES] ?? 0
    this.#mask = count - 1
    this.#seed0 = i32[SEED] ?? 0
    this.#seed1 = i32[SEED + 1] ?? 0
    this.#registry = registry
    this.#words = new Array<LockWord | undefined>(count)
    this.#local = localOf(handle.buffer)
  }

  /**
   * The same mutex in this thread, from its handle (or the mutex itself, structured-cloned).
   * Every attach of one mutex in a thread shares that thread's queues.
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a SharedKeyedMutex's handle
   * @example
   * ```ts
   * const locks = SharedKeyedMutex.attach<string>(workerData.locks)
   * ```
   */
  static attach<K extends Key = Key>(handle: Attachable<SharedKeyedMutexHandle<K>>): SharedKeyedMutex<K> {
    return attachStorage(
      Kind.SharedKeyedMutex,
      handle,
      HEADER_WORDS,
      (i32) => {
        const stripes = i32[STRIPES] ?? 0
        return stripes >= 1 && (stripes & (stripes - 1)) === 0 && i32.length === HEADER_WORDS + stripes * STRIPE_WORDS
      },
      () => new SharedKeyedMutex<K>(),
    )
  }

  /**
   * How many lock words the keys are hashed onto (fixed when the mutex is made).
   * @example
   * ```ts
   * const locks = SharedKeyedMutex.attach(workerData.locks)
   * console.log(`1 in ${locks.stripes} pairs of keys share a lock word`)
   * ```
   */
  get stripes(): number {
    return this.#mask + 1
  }

  /**
   * Waits until every key is held by the caller, in every thread, and returns the
   * guard that releases them. Keys (one, or an array) are deduplicated by stripe
   * (two keys on one stripe take it once) and taken in ascending stripe order, so
   * requests for the same keys in any orders, from any threads, never deadlock.
   * Take every key a task needs in one call: a task that holds a key and calls
   * lock() again for another key waits for itself if the two share a stripe
   * (odds 1 in `stripes`), so give nested calls a timeout.
   *
   * Fairness: the tasks of a thread get a stripe in FIFO order. Across threads, a
   * thread that hands a stripe to a waiting thread lets it go first (stepping back
   * at most 20 ms), so under contention threads take turns rather than one keeping it.
   * A timeout or an abort leaves no trace: the keys taken meanwhile are released.
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT once options.timeout ms pass
   *   (naming the key and the thread holding it); ERR_INVALID_KEY for a key that is no
   *   string, number or bigint; ERR_INVALID_ARGUMENT for an empty array or a bad
   *   timeout; `signal.reason` when options.signal aborts (an aborted signal rejects
   *   before anything is taken)
   * @example
   * ```ts
   * const guard = await locks.lock(['account:2', 'account:1'], { timeout: 500 })
   * try {
   *   if (guard.ownerDied) repairAccounts()   // a thread died holding one of them
   *   await transfer()
   * } finally { guard.release() }
   * ```
   */
  async lock(keys: K | readonly K[], options?: AsyncWaitOptions): Promise<KeyedGuard<K>> {
    const signal = options?.signal
    signal?.throwIfAborted()
    const ordered = orderedKeys(keys)
    const deadline = deadlineOf(options)
    const stripes = [...new Set(ordered.map((key) => this.#stripeOf(key)))].sort((a, b) => a - b)
    const shaken = yieldPoint('SharedKeyedMutex.lock')
    if (shaken !== undefined) {
      await shaken
      signal?.throwIfAborted()
    }
    let queued: KeyedGuard<number>
    try {
      queued = await this.#local.queue.lock(stripes, { signal, timeout: deadline === Infinity ? undefined : Math.max(0, deadline - performance.now()) })
    } catch (error) {
      if (!isConmapError(error, ErrorCode.LOCK_TIMEOUT)) throw error
      throw conmapError(ErrorCode.LOCK_TIMEOUT, `SharedKeyedMutex.lock: ${describeKeys(ordered)} still held by another task of this thread after ${options?.timeout ?? 0} ms`, error)
    }
    let held = 0
    let ownerDied = false
    try {
      for (const stripe of stripes) {
        const waiting = this.#acquireWord(stripe, deadline, signal)
        if (waiting !== undefined) await waiting
        held++
        ownerDied ||= this.#word(stripe).recovered()
      }
    } catch (error) {
      this.#releaseWords(stripes, held)
      queued.release()
      if (!isConmapError(error, ErrorCode.LOCK_TIMEOUT)) throw error
      const key = ordered.find((k) => this.#stripeOf(k) === stripes[held]) as K
      const part = stripes.length > 1 ? ` (${held} of its ${stripes.length} stripes held meanwhile, now released)` : ''
      throw conmapError(ErrorCode.LOCK_TIMEOUT, `SharedKeyedMutex.lock: key ${describeValue(key)} (stripe ${stripes[held]})${part}: ${error.message}`, error)
    }
    const guard = new KeyedGuard(ordered, () => {
      this.#releaseWords(stripes, stripes.length)
      queued.release()
    }, ownerDied)
    const granted = yieldPoint('SharedKeyedMutex.grant')
    if (granted !== undefined) await granted
    return guard
  }

  /**
   * Runs `fn` holding the keys (taken as lock() takes them) and releases them when
   * it settles, whether it returns, throws or rejects. `fn` gets the guard
   * (`guard.ownerDied`: a thread died holding one of the keys; `guard.assertHeld()`
   * for code that may run late).
   * @throws ConmapError (rejects with) as lock(); whatever fn throws, after the release
   * @example
   * ```ts
   * await locks.runExclusive(['from', 'to'], async () => move(from, to), { signal })
   * ```
   */
  async runExclusive<T>(keys: K | readonly K[], fn: (guard: KeyedGuard<K>) => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T> {
    const guard = await this.lock(keys, options)
    return holdingAsync(() => guard[Symbol.dispose](), () => fn(guard))
  }

  /**
   * Whether some task of some thread holds key's stripe now (a snapshot; true also
   * when another key on the same stripe is held).
   * @throws ConmapError ERR_INVALID_KEY for a key that is no string, number or bigint
   * @example
   * ```ts
   * if (locks.isLocked('report')) console.log('a report is being built somewhere')
   * ```
   */
  isLocked(key: K): boolean {
    return this.#word(this.#stripeOf(key)).holder() !== 0
  }

  #word(stripe: number): LockWord {
    return (this.#words[stripe] ??= new LockWord(this.#i32, HEADER_WORDS + stripe * STRIPE_WORDS, this.#registry))
  }

  #stripeOf(key: K): number {
    return hashKey(key, keyKind(key), this.#seed0, this.#seed1) & this.#mask
  }

  /** Takes stripe's word now (undefined), or returns the wait for it. The caller holds the stripe in this thread's queue. */
  #acquireWord(stripe: number, deadline: number, signal: AbortSignal | undefined): Promise<void> | undefined {
    const word = this.#word(stripe)
    const handedAt = this.#local.handedOver.get(stripe)
    if (handedAt === undefined && word.tryAcquire()) {
      this.#granted(stripe)
      return undefined
    }
    this.#local.handedOver.delete(stripe)
    return runAsync(this.#acquireSteps(word, stripe, handedAt, deadline), signal)
  }

  *#acquireSteps(word: LockWord, stripe: number, handedAt: number | undefined, deadline: number): Steps<void> {
    const grants = HEADER_WORDS + stripe * STRIPE_WORDS + GRANTS
    if (handedAt !== undefined && Atomics.load(this.#i32, grants) === handedAt) {
      const left = deadline - performance.now()
      if (left > 0) yield step(this.#i32, grants, handedAt, Math.min(YIELD_MS, left))
    }
    yield* word.acquireSteps(deadline, false)
    this.#granted(stripe)
  }

  #granted(stripe: number): void {
    const grants = HEADER_WORDS + stripe * STRIPE_WORDS + GRANTS
    Atomics.add(this.#i32, grants, 1)
    Atomics.notify(this.#i32, grants)
  }

  /** Releases the words of the first `count` stripes; a word handed to a woken thread is noted for fairness. */
  #releaseWords(stripes: readonly number[], count: number): void {
    for (let i = 0; i < count; i++) {
      const stripe = stripes[i] as number
      const grants = Atomics.load(this.#i32, HEADER_WORDS + stripe * STRIPE_WORDS + GRANTS)
      if (this.#word(stripe).release()) this.#local.handedOver.set(stripe, grants)
    }
  }
}

function describeKeys(keys: readonly Key[]): string {
  return keys.length === 1 ? `key ${describeValue(keys[0])} was` : `keys ${keys.map((key) => describeValue(key)).join(', ')} were`
}
