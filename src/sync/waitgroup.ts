/**
 * WaitGroup: Go's sync.WaitGroup across threads, with obligations that survive a
 * dead worker.
 *
 * Go's counter cannot tell who still owes a Done(), so a worker that dies makes
 * Wait() hang for ever. Here `add(n, worker)` records the n as that worker's own
 * obligation (a holder slot); if the worker dies first (and is watched) its unpaid
 * obligations are cancelled, the wait completes, and wait() throws ERR_OWNER_DIED
 * so the waiter learns the work was not all done. `add(n)` without an owner is Go's
 * plain counter.
 *
 * Layout (Int32 words):
 *   0 magic | 1-2 internal lock word (guards words 3, 5 and the slots)
 *   3 unowned: the count added without an owner
 *   4 seq: bumped on every change; waiters sleep on it
 *   5 died: 1 when a dead thread's obligations were cancelled this round (a round
 *     starts when the counter leaves 0)
 *   6 R (slots) | 7 unused (keeps the slots 8-byte aligned) | 8.. R holder slots
 * The counter is unowned + the sum of the slots; every change writes exactly one of
 * those words under the internal lock, so a thread dying mid-call leaves no
 * half-applied update to repair.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { HolderSlots, SLOT_WORDS } from './holder-slots.js'
import { LOCK_WORDS, LockWord, lockTimeout } from './lock-word.js'
import { attachStorage, claimStorage } from './storage.js'
import type { ThreadRegistry } from './threads.js'
import { deadlineOf, runAsync, runBlocking, sliceUntil, step, type AsyncWaitOptions, type Steps, type WaitOptions } from './wait.js'

const LOCK = 1
const UNOWNED = LOCK + LOCK_WORDS // 3
const SEQ = UNOWNED + 1
const DIED = UNOWNED + 2
const SLOT_COUNT = UNOWNED + 3
const SLOTS = UNOWNED + 5 // 8
const DEFAULT_SLOTS = 64

export type WaitGroupHandle = Handle<typeof Kind.WaitGroup>

export interface WaitGroupOptions {
  /**
   * Most threads that may owe done() calls at once (add(n, owner)), 1 to 65536.
   * @default 64
   */
  readonly ownerSlots?: number | undefined
}

/** A worker (or its threadId) that owes done() calls. */
export type Obligee = { readonly threadId: number } | number

/**
 * Go's sync.WaitGroup for every thread: a counter that wait() sees reach 0. A count
 * added with an owner (`add(1, worker)`) is that thread's to pay, and is cancelled if
 * it dies first, so a crashed worker never leaves wait() waiting for ever.
 *
 * @example
 * ```ts
 * const wg = new WaitGroup()
 * const worker = new Worker(file, { workerData: wg.handle })   // calls WaitGroup.attach(…).done()
 * wg.add(1, worker)
 * await wg.waitAsync({ timeout: 10_000 })
 * ```
 */
export class WaitGroup {
  /** Structured-cloneable: send it to a worker and `WaitGroup.attach` it there. */
  readonly handle: WaitGroupHandle
  readonly #i32: Int32Array
  readonly #lock: LockWord
  readonly #slots: HolderSlots
  readonly #registry: ThreadRegistry

  /** @throws ConmapError ERR_INVALID_ARGUMENT for ownerSlots out of range */
  constructor(options?: WaitGroupOptions) {
    const count = options?.ownerSlots ?? DEFAULT_SLOTS
    if (!Number.isInteger(count) || count < 1 || count > 65536) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `ownerSlots must be an integer from 1 to 65536, got ${String(count)}`)
    }
    const { i32, registry, handle, fresh } = claimStorage(Kind.WaitGroup, () => SLOTS + count * SLOT_WORDS)
    if (fresh) i32[SLOT_COUNT] = count
    this.handle = handle
    this.#i32 = i32
    this.#registry = registry
    this.#lock = new LockWord(i32, LOCK, registry)
    this.#slots = new HolderSlots(i32, SLOTS, i32[SLOT_COUNT] ?? 0, registry)
  }

  /**
   * The same wait group in this thread, from its handle (or the WaitGroup itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a WaitGroup's handle
   */
  static attach(handle: Attachable<WaitGroupHandle>): WaitGroup {
    return attachStorage(Kind.WaitGroup, handle, SLOTS, (i32) => i32.length === SLOTS + (i32[SLOT_COUNT] ?? -1) * SLOT_WORDS, () => new WaitGroup())
  }

  /**
   * Adds delta (may be negative) to the counter; with `owner`, to that thread's
   * obligations, which only it can pay with done(). The owner must be alive: pass
   * the Worker itself (an exited one is refused) rather than a bare threadId. A
   * result below zero is ERR_NEGATIVE_COUNTER and changes nothing.
   * @throws ConmapError ERR_NEGATIVE_COUNTER (nothing changed); ERR_INVALID_ARGUMENT for
   *   a delta that is no integer or an owner that has exited; ERR_TOO_MANY_THREADS when
   *   more than ownerSlots threads owe counts at once
   * @example
   * ```ts
   * wg.add(2)              // two unowned counts: anyone's done() pays them
   * wg.add(1, worker)      // only that worker's done() pays it; its death cancels it
   * ```
   */
  add(delta: number, owner?: Obligee): void {
    if (!Number.isSafeInteger(delta)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `delta must be an integer, got ${String(delta)}`)
    const ownerId = owner === undefined ? 0 : (typeof owner === 'number' ? owner : owner.threadId) + 1
    if (owner !== undefined && ownerId <= 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'add(delta, owner): the owner thread has exited')
    this.#locked(() => {
      const before = this.#countLocked()
      if (before + delta < 0) throw negative()
      // The obligee may not have run any conmap code yet: until it is in the registry,
      // a waiter's reclaimDead would take it for dead and cancel its obligation.
      if (ownerId !== 0 && delta > 0) this.#registry.admit(ownerId)
      if (ownerId === 0) {
        Atomics.store(this.#i32, UNOWNED, Atomics.load(this.#i32, UNOWNED) + delta)
      } else {
        const slot = this.#slots.claim(ownerId)
        const held = this.#slots.held(slot) + delta
        if (held < 0) {
          if (held - delta === 0) this.#slots.free(slot)
          throw negative()
        }
        this.#slots.setHeld(slot, held)
        if (held === 0) this.#slots.free(slot)
      }
      if (before === 0 && delta > 0) Atomics.store(this.#i32, DIED, 0)
      this.#changedLocked()
    })
  }

  /**
   * Pays one of this thread's obligations, else one unowned count.
   * @throws ConmapError ERR_NEGATIVE_COUNTER when there is nothing this thread may pay
   */
  done(): void {
    this.#locked(() => {
      const slot = this.#slots.mine()
      const held = slot < 0 ? 0 : this.#slots.held(slot)
      if (held > 0) {
        this.#slots.setHeld(slot, held - 1)
        if (held === 1) this.#slots.free(slot)
      } else {
        const unowned = Atomics.load(this.#i32, UNOWNED)
        if (unowned <= 0) throw negative()
        Atomics.store(this.#i32, UNOWNED, unowned - 1)
      }
      this.#changedLocked()
    })
  }

  /** The counter now (a snapshot). */
  get count(): number {
    return this.#locked(() => this.#countLocked())
  }

  /**
   * Blocks until the counter is 0.
   * @throws ConmapError ERR_OWNER_DIED if a dead thread's obligations were cancelled on
   *   the way (the counter is still 0 then); ERR_LOCK_TIMEOUT after options.timeout ms;
   *   ERR_WAIT_FORBIDDEN where the thread may not block (use waitAsync)
   */
  wait(options?: WaitOptions): void {
    runBlocking(this.#waitSteps(deadlineOf(options), true))
  }

  /**
   * wait() without blocking the event loop (Atomics.waitAsync).
   * @throws ConmapError (rejects with) as wait(); `options.signal.reason` on abort
   * @example
   * ```ts
   * await wg.waitAsync({ signal })
   * ```
   */
  async waitAsync(options?: AsyncWaitOptions): Promise<void> {
    return runAsync(this.#waitSteps(deadlineOf(options), false), options?.signal)
  }

  *#waitSteps(deadline: number, blocking: boolean): Steps<void> {
    const i32 = this.#i32
    const began = performance.now()
    for (;;) {
      const seq = Atomics.load(i32, SEQ)
      yield* this.#lock.acquireSteps(Infinity, blocking)
      const count = this.#countLocked()
      const died = Atomics.load(i32, DIED) === 1
      this.#lock.release()
      if (count === 0) {
        if (died) throw conmapError(ErrorCode.OWNER_DIED, 'a thread that owed done() calls died: its obligations were cancelled')
        return
      }
      const slice = sliceUntil(deadline)
      if (slice === undefined) throw lockTimeout(this.#registry, this.#slots.holders(), began, 'the counter did not reach 0')
      const outcome = yield step(i32, SEQ, seq, slice)
      if (outcome === 'timed-out') {
        yield* this.#lock.acquireSteps(Infinity, blocking)
        if (this.#slots.reclaimDead() > 0) {
          Atomics.store(i32, DIED, 1)
          this.#changedLocked()
        }
        this.#lock.release()
      }
    }
  }

  #countLocked(): number {
    return Atomics.load(this.#i32, UNOWNED) + this.#slots.total()
  }

  #changedLocked(): void {
    Atomics.add(this.#i32, SEQ, 1)
    if (this.#countLocked() === 0) Atomics.notify(this.#i32, SEQ)
  }

  #locked<T>(fn: () => T): T {
    runBlocking(this.#lock.acquireSteps(Infinity, true))
    try {
      return fn()
    } finally {
      this.#lock.release()
    }
  }
}

function negative(): Error {
  return conmapError(ErrorCode.NEGATIVE_COUNTER, 'sync: negative WaitGroup counter')
}
