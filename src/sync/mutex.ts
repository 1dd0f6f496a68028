/**
 * Mutex: Go's sync.Mutex in shared memory, usable from every thread.
 *
 * Layout (Int32 words): 0 magic | 1-2 lock word (lock-word.ts: state, recovered).
 * Ownership is per thread: unlock() from a thread that does not hold the lock is
 * ERR_NOT_LOCKED (Go allows it; here it is always a bug, and it would break dead-owner
 * recovery). Async tasks of one thread share the thread's ownership.
 */
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { Guard } from './guard.js'
import { LOCK_WORDS, LockWord } from './lock-word.js'
import { attachStorage, claimStorage } from './storage.js'
import { deadlineOf, runAsync, runBlocking, type AsyncWaitOptions, type WaitOptions } from './wait.js'

const WORDS = 1 + LOCK_WORDS

export type MutexHandle = Handle<typeof Kind.Mutex>

/**
 * Go's sync.Mutex for every thread of the process: one holder at a time, owned by
 * the thread that took it. A thread that dies holding it is found (with or without
 * `watch`), and the next thread takes it over and sees `ownerDied`.
 *
 * @example
 * ```ts
 * const mutex = new Mutex()                                // send mutex.handle to workers
 * mutex.runExclusive(() => update(), { timeout: 1_000 })   // released even if fn throws
 * await mutex.runExclusiveAsync(async () => save())         // never blocks the event loop
 * { using guard = mutex.acquire() }                        // TypeScript, or Node 24
 * ```
 */
export class Mutex {
  /** Structured-cloneable: send it to a worker and `Mutex.attach` it there. */
  readonly handle: MutexHandle
  readonly #word: LockWord

  constructor() {
    const { i32, registry, handle } = claimStorage(Kind.Mutex, () => WORDS)
    this.handle = handle
    this.#word = new LockWord(i32, 1, registry)
  }

  /**
   * The same mutex in this thread, from its handle (or the Mutex itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a Mutex's handle
   * @example
   * ```ts
   * const mutex = Mutex.attach(workerData.mutex)
   * ```
   */
  static attach(handle: Attachable<MutexHandle>): Mutex {
    return attachStorage(Kind.Mutex, handle, WORDS, () => true, () => new Mutex())
  }

  /**
   * Blocks until the lock is held. Spins briefly, then sleeps (Atomics.wait).
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms, naming the holder;
   *   ERR_DEADLOCK if this thread already holds it; ERR_WAIT_FORBIDDEN where the
   *   thread may not block (use lockAsync there); ERR_INVALID_ARGUMENT for a bad timeout
   * @example
   * ```ts
   * mutex.lock({ timeout: 500 })
   * try { work() } finally { mutex.unlock() }
   * ```
   */
  lock(options?: WaitOptions): void {
    const deadline = deadlineOf(options)
    // Uncontended: no generator to build.
    if (!this.#word.tryAcquire()) runBlocking(this.#word.acquireSteps(deadline, true))
  }

  /** Takes the lock if it is free (or held by a dead thread); never waits. */
  tryLock(): boolean {
    return this.#word.tryAcquire()
  }

  /**
   * Waits without blocking the event loop (Atomics.waitAsync). An abort rejects
   * with `signal.reason` and leaves the lock as it was.
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT after options.timeout ms;
   *   ERR_DEADLOCK if this thread already holds it
   * @example
   * ```ts
   * await mutex.lockAsync({ signal: AbortSignal.timeout(1_000) })
   * ```
   */
  async lockAsync(options?: AsyncWaitOptions): Promise<void> {
    return runAsync(this.#word.acquireSteps(deadlineOf(options), false), options?.signal)
  }

  /**
   * Releases the lock.
   * @throws ConmapError ERR_NOT_LOCKED unless this thread holds the lock
   */
  unlock(): void {
    this.#word.release()
  }

  /**
   * lock() returning a guard for `using` (its release is the unlock).
   * @throws ConmapError as lock()
   * @example
   * ```ts
   * { using guard = mutex.acquire({ timeout: 100 }); work() }
   * ```
   */
  acquire(options?: WaitOptions): Guard {
    this.lock(options)
    return this.#guard()
  }

  /**
   * lockAsync() returning a guard for `await using`.
   * @throws ConmapError (rejects with) as lockAsync()
   */
  async acquireAsync(options?: AsyncWaitOptions): Promise<Guard> {
    await this.lockAsync(options)
    return this.#guard()
  }

  /**
   * Runs `fn` holding the lock; releases it when `fn` returns or throws.
   * @throws ConmapError as lock(); whatever fn throws, after the release
   * @example
   * ```ts
   * const total = mutex.runExclusive(() => counter.add(1))
   * ```
   */
  runExclusive<T>(fn: () => T, options?: WaitOptions): T {
    this.lock(options)
    try {
      return fn()
    } finally {
      this.unlock()
    }
  }

  /**
   * Awaits `fn` holding the lock (taken with lockAsync); releases it when `fn` settles.
   * @throws ConmapError (rejects with) as lockAsync(); whatever fn rejects with, after the release
   * @example
   * ```ts
   * await mutex.runExclusiveAsync(async () => writeFile(path, data), { timeout: 5_000 })
   * ```
   */
  async runExclusiveAsync<T>(fn: () => T | Promise<T>, options?: AsyncWaitOptions): Promise<T> {
    await this.lockAsync(options)
    try {
      return await fn()
    } finally {
      this.unlock()
    }
  }

  /** True when some thread holds the lock (a snapshot: it may change at once). */
  get locked(): boolean {
    return this.#word.holder() !== 0
  }

  /** For the holder: true when the lock was taken over from a thread that died holding it. */
  get ownerDied(): boolean {
    return this.#word.recovered()
  }

  #guard(): Guard {
    return new Guard(() => this.#word.release(), this.#word.recovered())
  }
}
