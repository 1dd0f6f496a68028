/**
 * RWMutex: Go's sync.RWMutex in shared memory (algorithm and layout in rw-lock.ts).
 *
 * Layout (Int32 words): 0 magic | 1.. the RWLock (8 + 2R words; R = readerSlots,
 * the most threads that may hold read locks at the same moment, default 128).
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { Guard } from './guard.js'
import { holding, holdingAsync } from './holding.js'
import { RWLock, initRWLock, rwLockSlotCount, rwLockWords } from './rw-lock.js'
import { attachStorage, claimStorage } from './storage.js'
import { deadlineOf, runAsync, runBlocking, type AsyncWaitOptions, type WaitOptions } from './wait.js'

export type RWMutexHandle = Handle<typeof Kind.RWMutex>

export interface RWMutexOptions {
  /**
   * How many threads may hold read locks at once, 1 to 65536.
   * @default 128
   */
  readonly readerSlots?: number | undefined
}

const DEFAULT_READER_SLOTS = 128

/**
 * Go's sync.RWMutex across threads: many readers or one writer; a waiting writer
 * keeps new readers out. Locks belong to threads (async tasks of one thread share them).
 * @example
 * ```ts
 * const rw = new RWMutex()
 * new Worker(file, { workerData: { rw: rw.handle } })
 * const total = rw.runRead(() => sum(table))
 * await rw.runExclusiveAsync(async () => refill(table, await fetchRows()))
 * ```
 */
export class RWMutex {
  /** Structured-cloneable: send it to a worker and `RWMutex.attach` it there. */
  readonly handle: RWMutexHandle
  readonly #lock: RWLock

  /** @throws ConmapError ERR_INVALID_ARGUMENT for readerSlots out of range */
  constructor(options?: RWMutexOptions) {
    const slots = options?.readerSlots ?? DEFAULT_READER_SLOTS
    if (!Number.isInteger(slots) || slots < 1 || slots > 65536) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `readerSlots must be an integer from 1 to 65536, got ${String(slots)}`)
    }
    const { i32, registry, handle, fresh } = claimStorage(Kind.RWMutex, () => 1 + rwLockWords(slots))
    if (fresh) initRWLock(i32, 1, slots)
    this.handle = handle
    this.#lock = new RWLock(i32, 1, registry)
  }

  /**
   * The same RWMutex in this thread, from its handle (or the RWMutex itself, or its structured clone).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a RWMutex handle
   */
  static attach(handle: Attachable<RWMutexHandle>): RWMutex {
    return attachStorage(
      Kind.RWMutex,
      handle,
      1 + rwLockWords(0),
      (i32) => i32.length === 1 + rwLockWords(rwLockSlotCount(i32, 1)),
      () => new RWMutex(),
    )
  }

  /**
   * Blocks until read-locked.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms; ERR_DEADLOCK when
   *   this thread holds the write lock, or already reads and a writer waits; ERR_WAIT_FORBIDDEN where the
   *   thread may not block (use rlockAsync there)
   */
  rlock(options?: WaitOptions): void {
    runBlocking(this.#lock.rlockSteps(deadlineOf(options), true))
  }

  /** Takes a read lock if no writer holds the lock or is taking it; never waits. */
  tryRLock(): boolean {
    return this.#lock.tryRLock()
  }

  /**
   * rlock() without blocking the event loop (Atomics.waitAsync).
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT after options.timeout ms;
   *   `options.signal.reason` on abort, leaving the lock as it was
   */
  async rlockAsync(options?: AsyncWaitOptions): Promise<void> {
    await runAsync(this.#lock.rlockSteps(deadlineOf(options), false), options?.signal)
  }

  /**
   * Gives back this thread's read lock.
   * @throws ConmapError ERR_NOT_LOCKED unless this thread holds a read lock
   */
  runlock(): void {
    this.#lock.runlock()
  }

  /**
   * Blocks until write-locked; waits for the readers inside to leave and keeps new ones out.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms; ERR_DEADLOCK when
   *   this thread already holds it; ERR_WAIT_FORBIDDEN where the thread may not block
   */
  lock(options?: WaitOptions): void {
    runBlocking(this.#lock.lockSteps(deadlineOf(options), true))
  }

  /** Takes the write lock if no thread holds the lock either way; never waits. */
  tryLock(): boolean {
    return this.#lock.tryLock()
  }

  /**
   * lock() without blocking the event loop (Atomics.waitAsync).
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT after options.timeout ms;
   *   `options.signal.reason` on abort, leaving the lock as it was
   */
  async lockAsync(options?: AsyncWaitOptions): Promise<void> {
    await runAsync(this.#lock.lockSteps(deadlineOf(options), false), options?.signal)
  }

  /**
   * Gives back the write lock.
   * @throws ConmapError ERR_NOT_LOCKED unless this thread holds the write lock
   */
  unlock(): void {
    this.#lock.unlock()
  }

  /** rlock() as a guard; `ownerDied` tells that a writer died mid-write since the last write unlock. */
  acquireRead(options?: WaitOptions): Guard {
    const suspect = runBlocking(this.#lock.rlockSteps(deadlineOf(options), true))
    return new Guard(() => this.#lock.runlock(), suspect)
  }

  async acquireReadAsync(options?: AsyncWaitOptions): Promise<Guard> {
    const suspect = await runAsync(this.#lock.rlockSteps(deadlineOf(options), false), options?.signal)
    return new Guard(() => this.#lock.runlock(), suspect)
  }

  acquire(options?: WaitOptions): Guard {
    const suspect = runBlocking(this.#lock.lockSteps(deadlineOf(options), true))
    return new Guard(() => this.#lock.unlock(), suspect)
  }

  async acquireAsync(options?: AsyncWaitOptions): Promise<Guard> {
    const suspect = await runAsync(this.#lock.lockSteps(deadlineOf(options), false), options?.signal)
    return new Guard(() => this.#lock.unlock(), suspect)
  }

  /**
   * Runs fn holding a read lock; releases it when fn returns or throws.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms; ERR_DEADLOCK when
   *   this thread already reads and a writer waits; ERR_WAIT_FORBIDDEN where the
   *   thread may not block (use runReadAsync there); whatever fn throws
   */
  runRead<T>(fn: () => T, options?: WaitOptions): T {
    this.rlock(options)
    return holding(() => this.runlock(), fn)
  }

  /**
   * Runs fn holding the write lock; releases it when fn returns or throws.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms; ERR_DEADLOCK when
   *   this thread already holds it; ERR_WAIT_FORBIDDEN where the thread may not
   *   block (use runExclusiveAsync there); whatever fn throws
   */
  runExclusive<T>(fn: () => T, options?: WaitOptions): T {
    this.lock(options)
    return holding(() => this.unlock(), fn)
  }

  /**
   * Awaits fn holding a read lock, taken with rlockAsync (the event loop never
   * blocks); releases it when fn's promise settles. Other async tasks of this
   * thread share the thread's read lock meanwhile.
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT after options.timeout ms;
   *   `options.signal.reason` on abort (fn does not run, nothing is held); whatever fn rejects with
   * @example
   * ```ts
   * const rows = await rw.runReadAsync(async () => readTable(shared), { timeout: 1000 })
   * ```
   */
  async runReadAsync<T>(fn: () => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T> {
    await this.rlockAsync(options)
    return holdingAsync(() => this.runlock(), fn)
  }

  /**
   * Awaits fn holding the write lock, taken with lockAsync (the event loop never
   * blocks); releases it when fn's promise settles.
   * @throws ConmapError (rejects with) ERR_LOCK_TIMEOUT after options.timeout ms;
   *   `options.signal.reason` on abort (fn does not run, nothing is held); whatever fn rejects with
   * @example
   * ```ts
   * await rw.runExclusiveAsync(async () => {
   *   shared.version = await fetchVersion()
   * })
   * ```
   */
  async runExclusiveAsync<T>(fn: () => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T> {
    await this.lockAsync(options)
    return holdingAsync(() => this.unlock(), fn)
  }

  /** Threads' read locks held right now (a snapshot). */
  get readers(): number {
    return this.#lock.readers()
  }

  /** True while some thread holds (or is taking) the write lock. */
  get writeLocked(): boolean {
    return this.#lock.writeLocked()
  }
}
