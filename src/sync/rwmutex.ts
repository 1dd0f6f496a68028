/**
 * RWMutex: Go's sync.RWMutex in shared memory (algorithm and layout in rw-lock.ts).
 *
 * Layout (Int32 words): 0 magic | 1.. the RWLock (8 + 2R words; R = readerSlots,
 * the most threads that may hold read locks at the same moment, default 128).
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Handle } from '../shared/handle.js'
import { Guard } from './guard.js'
import { RWLock, initRWLock, rwLockSlotCount, rwLockWords } from './rw-lock.js'
import { attachStorage, claimStorage } from './storage.js'
import { deadlineOf, runAsync, runBlocking, type AsyncWaitOptions, type WaitOptions } from './wait.js'

export type RWMutexHandle = Handle<typeof Kind.RWMutex>

export interface RWMutexOptions {
  /** How many threads may hold read locks at once (default 128). */
  readonly readerSlots?: number
}

const DEFAULT_READER_SLOTS = 128

export class RWMutex {
  readonly handle: RWMutexHandle
  readonly #lock: RWLock

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

  static attach(handle: RWMutexHandle): RWMutex {
    return attachStorage(
      Kind.RWMutex,
      handle,
      1 + rwLockWords(0),
      (i32) => i32.length === 1 + rwLockWords(rwLockSlotCount(i32, 1)),
      () => new RWMutex(),
    )
  }

  /** Blocks until read-locked. ERR_DEADLOCK when this thread already reads and a writer waits. */
  rlock(options?: WaitOptions): void {
    runBlocking(this.#lock.rlockSteps(deadlineOf(options), true))
  }

  tryRLock(): boolean {
    return this.#lock.tryRLock()
  }

  async rlockAsync(options?: AsyncWaitOptions): Promise<void> {
    await runAsync(this.#lock.rlockSteps(deadlineOf(options), false), options?.signal)
  }

  /** ERR_NOT_LOCKED unless this thread holds a read lock. */
  runlock(): void {
    this.#lock.runlock()
  }

  /** Blocks until write-locked; waits for the readers inside to leave and keeps new ones out. */
  lock(options?: WaitOptions): void {
    runBlocking(this.#lock.lockSteps(deadlineOf(options), true))
  }

  tryLock(): boolean {
    return this.#lock.tryLock()
  }

  async lockAsync(options?: AsyncWaitOptions): Promise<void> {
    await runAsync(this.#lock.lockSteps(deadlineOf(options), false), options?.signal)
  }

  /** ERR_NOT_LOCKED unless this thread holds the write lock. */
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

  runRead<T>(fn: () => T, options?: WaitOptions): T {
    this.rlock(options)
    try {
      return fn()
    } finally {
      this.runlock()
    }
  }

  runExclusive<T>(fn: () => T, options?: WaitOptions): T {
    this.lock(options)
    try {
      return fn()
    } finally {
      this.unlock()
    }
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
