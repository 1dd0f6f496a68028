/**
 * Semaphore: a weighted, fair counting semaphore across threads (Go's
 * x/sync/semaphore). Waiters are served strictly in arrival order: a large request
 * at the head is not overtaken by small ones behind it, so it cannot starve.
 *
 * Layout (Int32 words):
 *   0 magic | 1-2 internal lock word (guards every word below but 8-9)
 *   3 capacity | 4 available | 5 nextTicket | 6 serving (the head ticket)
 *   7 seq: bumped when permits return or the head moves; waiters sleep on it
 *   8 R (holder slots) | 9 Q (ticket ring size)
 *   10 ..< 10+2R   holder slots (holder-slots.ts): permits held per thread
 *   10+2R ..< +3Q  ticket ring, entry t & (Q-1) = [ticket, owner id, state]
 * Tickets are int32 and wrap; Q is a power of two so that t & (Q-1) stays consecutive
 * across the wrap, and queue lengths are computed as (next - serving) | 0.
 *
 * Permits belong to the thread that acquired them (release from another thread is
 * ERR_NOT_LOCKED), which is what lets a dead thread's permits come back. The holder
 * slots are the truth; `available` is capacity minus their sum, kept as a word so
 * that acquiring reads one word. Updates write the slot before `available`; a
 * thread that takes the internal lock over from a dead one recomputes `available`.
 * A waiter abandoning its ticket (timeout, abort) marks it CANCELLED, and the head
 * skips cancelled tickets, tickets of dead threads and tickets never written. Dead
 * threads' permits and tickets are reclaimed by waiters at the end of each wait
 * slice, and by a tryAcquire that would otherwise fail.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { Guard } from './guard.js'
import { HolderSlots, SLOT_WORDS } from './holder-slots.js'
import { LOCK_WORDS, LockWord, lockTimeout } from './lock-word.js'
import { attachStorage, claimStorage } from './storage.js'
import { selfId, type ThreadRegistry } from './threads.js'
import { deadlineOf, runAsync, runBlocking, sliceUntil, step, type AsyncWaitOptions, type Steps, type WaitOptions } from './wait.js'

const LOCK = 1
const CAPACITY = LOCK + LOCK_WORDS // 3
const AVAILABLE = CAPACITY + 1
const NEXT_TICKET = CAPACITY + 2
const SERVING = CAPACITY + 3
const SEQ = CAPACITY + 4
const SLOT_COUNT = CAPACITY + 5
const RING_SIZE = CAPACITY + 6
const SLOTS = CAPACITY + 7 // 10
const ENTRY_WORDS = 3
const WAITING = 1
const CANCELLED = 2
const DEFAULT_SLOTS = 64
const DEFAULT_RING = 1024

export type SemaphoreHandle = Handle<typeof Kind.Semaphore>

export interface SemaphoreOptions {
  /**
   * Most threads holding permits at once, a positive integer.
   * @default 64
   */
  readonly holderSlots?: number | undefined
  /**
   * Most waiters queued at once, a positive integer rounded up to a power of two; more
   * wait for room.
   * @default 1024
   */
  readonly queueSize?: number | undefined
}

/**
 * A counting semaphore for every thread (Go's golang.org/x/sync/semaphore): at most
 * `permits` held at once, waiters served in order. Permits a dead thread held return
 * to the pool, and its place in the queue is given up.
 *
 * @example
 * ```ts
 * const connections = new Semaphore(8)               // send connections.handle to workers
 * { using permit = connections.acquire(1, { timeout: 1_000 }); query() }
 * const guard = await connections.acquireAsync(2)
 * try { await bulkLoad() } finally { guard.release() }
 * ```
 */
export class Semaphore {
  /** Structured-cloneable: send it to a worker and `Semaphore.attach` it there. */
  readonly handle: SemaphoreHandle
  readonly #i32: Int32Array
  readonly #lock: LockWord
  readonly #holders: HolderSlots
  readonly #registry: ThreadRegistry
  readonly #ring: number
  readonly #ringSize: number

  /**
   * A semaphore of `permits` permits (a positive integer).
   * @throws ConmapError ERR_INVALID_ARGUMENT for permits or an option that is no positive integer
   */
  constructor(permits: number, options?: SemaphoreOptions) {
    const slots = options?.holderSlots ?? DEFAULT_SLOTS
    const queue = options?.queueSize ?? DEFAULT_RING
    for (const [name, value] of [['permits', permits], ['holderSlots', slots], ['queueSize', queue]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 0x1000000) {
        throw conmapError(ErrorCode.INVALID_ARGUMENT, `${name} must be a positive integer, got ${String(value)}`)
      }
    }
    const ring = 2 ** Math.ceil(Math.log2(queue))
    const { i32, registry, handle, fresh } = claimStorage(Kind.Semaphore, () => SLOTS + slots * SLOT_WORDS + ring * ENTRY_WORDS)
    if (fresh) {
      i32[CAPACITY] = permits
      i32[AVAILABLE] = permits
      i32[SLOT_COUNT] = slots
      i32[RING_SIZE] = ring
    }
    this.handle = handle
    this.#i32 = i32
    this.#registry = registry
    this.#lock = new LockWord(i32, LOCK, registry)
    const slotCount = i32[SLOT_COUNT] ?? 0
    this.#holders = new HolderSlots(i32, SLOTS, slotCount, registry)
    this.#ring = SLOTS + slotCount * SLOT_WORDS
    this.#ringSize = i32[RING_SIZE] ?? 0
  }

  /**
   * The same semaphore in this thread, from its handle (or the Semaphore itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a Semaphore's handle
   */
  static attach(handle: Attachable<SemaphoreHandle>): Semaphore {
    return attachStorage(
      Kind.Semaphore,
      handle,
      SLOTS,
      (i32) => (i32[CAPACITY] ?? 0) > 0 && isPowerOfTwo(i32[RING_SIZE] ?? 0) && i32.length === SLOTS + (i32[SLOT_COUNT] ?? -1) * SLOT_WORDS + (i32[RING_SIZE] ?? -1) * ENTRY_WORDS,
      () => new Semaphore(1),
    )
  }

  /** Permits in all, as made. */
  get capacity(): number {
    return Atomics.load(this.#i32, CAPACITY)
  }

  /** Permits free right now (a snapshot). */
  get available(): number {
    return Atomics.load(this.#i32, AVAILABLE)
  }

  /**
   * Takes n permits now if no one is queued and they are free. Like Mutex.tryLock it
   * takes over what dead threads left (their permits, their places at the head of the
   * queue): no waiter's slice may ever come to do it.
   * @throws ConmapError ERR_INVALID_ARGUMENT for n out of 1 … capacity
   */
  tryAcquire(n = 1): boolean {
    this.#checkWeight(n)
    return this.#locked(() => this.#takeIfFirstLocked(n) || (this.#reclaimLocked() && this.#takeIfFirstLocked(n)))
  }

  /**
   * Blocks until n permits are held; returns a guard that releases them.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms, naming the holders;
   *   ERR_INVALID_ARGUMENT for n out of 1 … capacity; ERR_WAIT_FORBIDDEN where the thread
   *   may not block (use acquireAsync)
   * @example
   * ```ts
   * const guard = semaphore.acquire(2, { timeout: 500 })
   * try { work() } finally { guard.release() }
   * ```
   */
  acquire(n = 1, options?: WaitOptions): Guard {
    this.#checkWeight(n)
    runBlocking(this.#acquireSteps(n, deadlineOf(options), true))
    return new Guard(() => this.release(n), false)
  }

  /**
   * acquire() without blocking the event loop (Atomics.waitAsync).
   * @throws ConmapError (rejects with) as acquire(); `options.signal.reason` on abort,
   *   with no permit taken
   */
  async acquireAsync(n = 1, options?: AsyncWaitOptions): Promise<Guard> {
    this.#checkWeight(n)
    await runAsync(this.#acquireSteps(n, deadlineOf(options), false), options?.signal)
    return new Guard(() => this.release(n), false)
  }

  /**
   * Returns n permits this thread holds.
   * @throws ConmapError ERR_NOT_LOCKED if it holds fewer; ERR_INVALID_ARGUMENT for n out of range
   */
  release(n = 1): void {
    this.#checkWeight(n)
    this.#locked(() => {
      const slot = this.#holders.mine()
      const held = slot < 0 ? 0 : this.#holders.held(slot)
      if (held < n) throw conmapError(ErrorCode.NOT_LOCKED, `release of ${n} permits by a thread holding ${held}`)
      this.#holders.setHeld(slot, held - n)
      if (held === n) this.#holders.free(slot)
      Atomics.store(this.#i32, AVAILABLE, Atomics.load(this.#i32, AVAILABLE) + n)
      this.#changedLocked()
    })
  }

  *#acquireSteps(n: number, deadline: number, blocking: boolean): Steps<void> {
    const i32 = this.#i32
    const began = performance.now()
    let ticket = -1
    try {
      for (;;) {
        const seq = Atomics.load(i32, SEQ)
        yield* this.#lockSteps(blocking)
        try {
          if (ticket < 0) {
            if (this.#takeIfFirstLocked(n)) return
            const next = Atomics.load(i32, NEXT_TICKET)
            if (((next - Atomics.load(i32, SERVING)) | 0) < this.#ringSize) {
              this.#writeEntry(next, selfId, WAITING)
              Atomics.store(i32, NEXT_TICKET, (next + 1) | 0)
              ticket = next
            }
          } else if (Atomics.load(i32, SERVING) === ticket && Atomics.load(i32, AVAILABLE) >= n) {
            this.#takeLocked(n)
            Atomics.store(i32, SERVING, (ticket + 1) | 0)
            ticket = -1
            this.#skipDeadHeadsLocked()
            this.#changedLocked()
            return
          }
        } finally {
          this.#lock.release()
        }
        const slice = sliceUntil(deadline)
        if (slice === undefined) throw lockTimeout(this.#registry, this.#holders.holders(), began, `${n} permit(s) were not acquired`)
        const outcome = yield step(i32, SEQ, seq, slice)
        if (outcome === 'timed-out') yield* this.#reclaimSteps(blocking)
      }
    } finally {
      if (ticket >= 0) yield* this.#cancelSteps(ticket, blocking)
    }
  }

  *#cancelSteps(ticket: number, blocking: boolean): Steps<void> {
    yield* this.#lockSteps(blocking)
    try {
      this.#writeEntry(ticket, selfId, CANCELLED)
      this.#skipDeadHeadsLocked()
      this.#changedLocked()
    } finally {
      this.#lock.release()
    }
  }

  *#reclaimSteps(blocking: boolean): Steps<void> {
    yield* this.#lockSteps(blocking)
    try {
      this.#reclaimLocked()
    } finally {
      this.#lock.release()
    }
  }

  /** Gives back dead holders' permits and moves the head past dead waiters; returns whether that changed anything. */
  #reclaimLocked(): boolean {
    const freed = this.#holders.reclaimDead()
    if (freed > 0) Atomics.store(this.#i32, AVAILABLE, Atomics.load(this.#i32, AVAILABLE) + freed)
    const head = Atomics.load(this.#i32, SERVING)
    this.#skipDeadHeadsLocked()
    const changed = freed > 0 || Atomics.load(this.#i32, SERVING) !== head
    if (changed) this.#changedLocked()
    return changed
  }

  *#lockSteps(blocking: boolean): Steps<void> {
    yield* this.#lock.acquireSteps(Infinity, blocking)
    if (this.#lock.recovered()) {
      Atomics.store(this.#i32, AVAILABLE, Atomics.load(this.#i32, CAPACITY) - this.#holders.total())
    }
  }

  #takeIfFirstLocked(n: number): boolean {
    const i32 = this.#i32
    if (Atomics.load(i32, SERVING) !== Atomics.load(i32, NEXT_TICKET) || Atomics.load(i32, AVAILABLE) < n) return false
    this.#takeLocked(n)
    return true
  }

  #takeLocked(n: number): void {
    const slot = this.#holders.claim()
    this.#holders.setHeld(slot, this.#holders.held(slot) + n)
    Atomics.store(this.#i32, AVAILABLE, Atomics.load(this.#i32, AVAILABLE) - n)
  }

  /** Moves the head past tickets whose waiter is gone (cancelled, dead, or never written). */
  #skipDeadHeadsLocked(): void {
    const i32 = this.#i32
    let serving = Atomics.load(i32, SERVING)
    const next = Atomics.load(i32, NEXT_TICKET)
    while (serving !== next) {
      const at = this.#ring + (serving & (this.#ringSize - 1)) * ENTRY_WORDS
      const live = i32[at] === serving && i32[at + 2] === WAITING && this.#registry.isAlive(i32[at + 1] ?? 0)
      if (live) break
      serving = (serving + 1) | 0
    }
    Atomics.store(i32, SERVING, serving)
  }

  #writeEntry(ticket: number, owner: number, state: number): void {
    const at = this.#ring + (ticket & (this.#ringSize - 1)) * ENTRY_WORDS
    Atomics.store(this.#i32, at, ticket)
    Atomics.store(this.#i32, at + 1, owner)
    Atomics.store(this.#i32, at + 2, state)
  }

  #changedLocked(): void {
    Atomics.add(this.#i32, SEQ, 1)
    Atomics.notify(this.#i32, SEQ)
  }

  #locked<T>(fn: () => T): T {
    runBlocking(this.#lockSteps(true))
    try {
      return fn()
    } finally {
      this.#lock.release()
    }
  }

  #checkWeight(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.capacity) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `permit count must be an integer from 1 to the capacity ${this.capacity}, got ${String(n)}`)
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}
