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

export class Mutex {
  /** Structured-cloneable: send it to a worker and `Mutex.attach` it there. */
  readonly handle: MutexHandle
  readonly #word: LockWord

  constructor() {
    const { i32, registry, handle } = claimStorage(Kind.Mutex, () => WORDS)
    this.handle = handle
    this.#word = new LockWord(i32, 1, registry)
  }

  /** The same mutex in this thread; ERR_INVALID_HANDLE for anything but a Mutex handle. */
  static attach(handle: Attachable<MutexHandle>): Mutex {
    return attachStorage(Kind.Mutex, handle, WORDS, () => true, () => new Mutex())
  }

  /**
   * Blocks until the lock is held. Spins briefly, then sleeps (Atomics.wait).
   * ERR_LOCK_TIMEOUT after `timeout` ms; ERR_DEADLOCK if this thread already holds it;
   * ERR_WAIT_FORBIDDEN where the thread may not block (use lockAsync there).
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
   */
  async lockAsync(options?: AsyncWaitOptions): Promise<void> {
    return runAsync(this.#word.acquireSteps(deadlineOf(options), false), options?.signal)
  }

  /** ERR_NOT_LOCKED unless this thread holds the lock. */
  unlock(): void {
    this.#word.release()
  }

  /** lock() returning a guard for `using`. */
  acquire(options?: WaitOptions): Guard {
    this.lock(options)
    return this.#guard()
  }

  /** lockAsync() returning a guard for `await using`. */
  async acquireAsync(options?: AsyncWaitOptions): Promise<Guard> {
    await this.lockAsync(options)
    return this.#guard()
  }

  /** Runs `fn` holding the lock; releases it when `fn` returns or throws. */
  runExclusive<T>(fn: () => T, options?: WaitOptions): T {
    this.lock(options)
    try {
      return fn()
    } finally {
      this.unlock()
    }
  }

  /** Awaits `fn` holding the lock (taken with lockAsync); releases it when `fn` settles. */
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
