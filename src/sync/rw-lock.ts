/**
 * The reader-writer lock algorithm behind RWMutex and the map's 'sharded' and
 * 'rwmutex' strategies. Go's semantics: any number of readers or one writer, and
 * writer preference (once a writer waits, new readers wait too, so a stream of
 * readers cannot starve it).
 *
 * Layout (Int32 words from `base`):
 *   0-1  writer lock word (lock-word.ts): serialises writers, names the writer
 *   2    WRITING: 1 while a writer holds the lock or waits for readers to leave
 *   3    drain: bumped by a reader leaving while WRITING = 1; the writer sleeps on it
 *   4    suspect: 1 after a dead writer was taken over, until the next write unlock
 *   5    readersWaiting: a hint that readers may sleep behind a writer (the truth is
 *        the WAITING flag in their slots: a waiter killed in its sleep leaves the
 *        hint high, and then only costs each write unlock a scan of the slots)
 *   6    readerPass: readers a finished writer lets in before the next writer
 *   7    R, the number of reader slots
 *   8..  R holder slots (holder-slots.ts): each reading thread's read-lock count
 *   total: 8 + 2R words
 *
 * The async readers of one thread share its slot and its WAITING flag: whichever
 * of them stops waiting first clears the flag, and the others set it again when
 * their wait slice ends, so as a hint for the reader pass it is at most a slice late.
 * A slot index is therefore never kept across a wait (see #unmarkWaiting).
 *
 * There is no shared reader count: a reader raises its own slot, then checks
 * WRITING; a writer sets WRITING, then waits until every slot is 0. With
 * sequentially consistent Atomics, one of the two always sees the other (Dekker),
 * and a reader that saw WRITING backs out and waits. Keeping the count per thread is
 * what makes a dead reader recoverable: the writer's wait slices reclaim the slots of
 * dead threads (holder-slots.ts). A dead writer is taken over through its lock word,
 * by the next writer or by a waiting reader, which then reopens the lock.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { HolderSlots, SLOT_WORDS, WAITING_FLAG } from './holder-slots.js'
import { LOCK_WORDS, LockWord, lockTimeout } from './lock-word.js'
import type { ThreadRegistry } from './threads.js'
import { sliceUntil, step, WAIT_SLICE_MS, type Steps } from './wait.js'

const WRITING = LOCK_WORDS // words 0-1 are the writer lock word
const DRAIN = WRITING + 1
const SUSPECT = WRITING + 2
const READERS_WAITING = WRITING + 3
const READER_PASS = WRITING + 4
const SLOT_COUNT = WRITING + 5
const SLOTS = WRITING + 6 // = 8
/** Polls before sleeping: read and write sections last well under a microsecond. */
const SPIN_ROUNDS = 128

export function rwLockWords(readerSlots: number): number {
  return SLOTS + readerSlots * SLOT_WORDS
}

/** Writes the slot count into fresh, zeroed words. */
export function initRWLock(i32: Int32Array, base: number, readerSlots: number): void {
  i32[base + SLOT_COUNT] = readerSlots
}

export function rwLockSlotCount(i32: Int32Array, base: number): number {
  return i32[base + SLOT_COUNT] ?? 0
}

export class RWLock {
  readonly #i32: Int32Array
  readonly #base: number
  readonly #writer: LockWord
  readonly #readers: HolderSlots
  readonly #registry: ThreadRegistry

  constructor(i32: Int32Array, base: number, registry: ThreadRegistry) {
    this.#i32 = i32
    this.#base = base
    this.#registry = registry
    this.#writer = new LockWord(i32, base, registry)
    this.#readers = new HolderSlots(i32, base + SLOTS, rwLockSlotCount(i32, base), registry)
  }

  /** Fast path of rlock: succeeds unless a writer holds or awaits the lock. */
  tryRLock(): boolean {
    const i32 = this.#i32
    const slot = this.#readers.claim()
    const held = this.#readers.held(slot)
    this.#readers.setHeld(slot, held + 1)
    if (Atomics.load(i32, this.#base + WRITING) === 0) return true
    this.#leave(slot, held)
    return false
  }

  /** Returns whether the data may be half-written by a writer that died. */
  *rlockSteps(deadline: number, blocking: boolean): Steps<boolean> {
    const i32 = this.#i32
    const base = this.#base
    const began = performance.now()
    let waited = false
    for (;;) {
      if (this.tryRLock()) {
        if (waited) this.#usePass()
        return Atomics.load(i32, base + SUSPECT) === 1
      }
      if (blocking && this.#writer.heldBySelf()) {
        throw conmapError(ErrorCode.DEADLOCK, 'this thread holds the write lock: rlock() would wait for itself for ever (unlock first)')
      }
      if (blocking && this.#readers.heldBySelf() > 0) {
        throw conmapError(ErrorCode.DEADLOCK, 'this thread already holds a read lock and a writer is waiting: a second rlock would block for ever (Go forbids recursive read locking)')
      }
      if (this.#spinUntil(() => Atomics.load(i32, base + WRITING) === 0)) continue
      const slice = sliceUntil(deadline)
      if (slice === undefined) throw lockTimeout(this.#registry, this.#writerIds(), began, 'the read lock was not acquired')
      waited = true
      const slot = this.#readers.claim()
      this.#readers.setHeld(slot, this.#readers.held(slot) | WAITING_FLAG)
      Atomics.add(i32, base + READERS_WAITING, 1)
      let outcome
      try {
        outcome = yield step(i32, base + WRITING, 1, slice)
      } finally {
        Atomics.sub(i32, base + READERS_WAITING, 1)
        this.#unmarkWaiting()
      }
      if (outcome === 'timed-out') this.#reopenIfWriterDied()
    }
  }

  runlock(): void {
    const slot = this.#readers.mine()
    const held = slot < 0 ? 0 : this.#readers.held(slot)
    // A WAITING flag alone is a task of this thread waiting to read, not a read lock.
    if ((held & ~WAITING_FLAG) === 0) throw conmapError(ErrorCode.NOT_LOCKED, 'runlock of an RWMutex this thread has not read-locked')
    this.#leave(slot, held - 1)
  }

  tryLock(): boolean {
    if (!this.#writer.tryAcquire()) return false
    this.#markSuspectIfRecovered()
    Atomics.store(this.#i32, this.#base + WRITING, 1)
    if (!this.#readers.anyHeld()) return true
    this.#reopen()
    return false
  }

  /** Returns whether the data may be half-written by a writer that died. */
  *lockSteps(deadline: number, blocking: boolean): Steps<boolean> {
    const i32 = this.#i32
    const base = this.#base
    if (blocking && this.#readers.heldBySelf() > 0) {
      throw conmapError(ErrorCode.DEADLOCK, 'this thread holds a read lock: lock() would wait for itself for ever (release the read lock first)')
    }
    const began = performance.now()
    yield* this.#writer.acquireSteps(deadline, blocking)
    try {
      this.#markSuspectIfRecovered()
      const pass = Atomics.load(i32, base + READER_PASS)
      if (pass > 0) {
        // Readers that waited behind the previous writer get one slice to enter first.
        const slice = sliceUntil(Math.min(deadline, performance.now() + WAIT_SLICE_MS))
        if (slice !== undefined) yield step(i32, base + READER_PASS, pass, slice)
        Atomics.store(i32, base + READER_PASS, 0)
      }
      Atomics.store(i32, base + WRITING, 1)
      // Dead readers are looked for every slice of waiting by the clock, not when a
      // slice runs out: each reader backing out behind WRITING wakes this wait, and with
      // a few of them retrying no slice would ever run out.
      let reclaimAt = performance.now() + WAIT_SLICE_MS
      for (;;) {
        const drain = Atomics.load(i32, base + DRAIN)
        if (!this.#readers.anyHeld()) return Atomics.load(i32, base + SUSPECT) === 1
        if (this.#spinUntil(() => !this.#readers.anyHeld())) continue
        const slice = sliceUntil(deadline)
        if (slice === undefined) throw lockTimeout(this.#registry, this.#readers.holders(), began, 'the write lock was not acquired (readers still hold it)')
        yield step(i32, base + DRAIN, drain, slice)
        if (performance.now() >= reclaimAt) {
          this.#readers.reclaimDead()
          reclaimAt = performance.now() + WAIT_SLICE_MS
        }
      }
    } catch (err) {
      this.#reopen()
      throw err
    }
  }

  unlock(): void {
    if (!this.#writer.heldBySelf()) throw conmapError(ErrorCode.NOT_LOCKED, 'unlock of an RWMutex this thread has not write-locked')
    const i32 = this.#i32
    Atomics.store(i32, this.#base + SUSPECT, 0)
    const maybeWaiting = Atomics.load(i32, this.#base + READERS_WAITING) > 0
    Atomics.store(i32, this.#base + READER_PASS, maybeWaiting ? this.#readers.liveWaiting() : 0)
    this.#reopen()
  }

  /** True from a dead writer's take-over until the next write unlock: the data may be half-written. */
  suspect(): boolean {
    return Atomics.load(this.#i32, this.#base + SUSPECT) === 1
  }

  writeLocked(): boolean {
    return this.#writer.holder() !== 0
  }

  writeLockedBySelf(): boolean {
    return this.#writer.heldBySelf()
  }

  readLockedBySelf(): number {
    return this.#readers.heldBySelf()
  }

  readers(): number {
    return this.#readers.total()
  }

  /** The writer that holds or awaits the lock, as a list for lockTimeout. */
  #writerIds(): number[] {
    const writer = this.#writer.holder()
    return writer === 0 ? [] : [writer]
  }

  #leave(slot: number, held: number): void {
    const i32 = this.#i32
    this.#readers.setHeld(slot, held)
    if (held === 0) this.#readers.free(slot)
    if (Atomics.load(i32, this.#base + WRITING) === 1) {
      Atomics.add(i32, this.#base + DRAIN, 1)
      Atomics.notify(i32, this.#base + DRAIN)
    }
  }

  /**
   * Clears this thread's WAITING flag after a wait. The slot is found again, not
   * remembered from before the wait: async tasks of one thread share it, and a
   * sibling whose wait ended first may have freed it, and another thread taken it.
   */
  #unmarkWaiting(): void {
    const slot = this.#readers.mine()
    if (slot < 0) return
    const held = this.#readers.held(slot) & ~WAITING_FLAG
    this.#readers.setHeld(slot, held)
    if (held === 0) this.#readers.free(slot)
  }

  #spinUntil(done: () => boolean): boolean {
    for (let i = 0; i < SPIN_ROUNDS; i++) if (done()) return true
    return false
  }

  #usePass(): void {
    const i32 = this.#i32
    const at = this.#base + READER_PASS
    for (;;) {
      const pass = Atomics.load(i32, at)
      if (pass <= 0) return
      if (Atomics.compareExchange(i32, at, pass, pass - 1) === pass) {
        if (pass === 1) Atomics.notify(i32, at)
        return
      }
    }
  }

  #markSuspectIfRecovered(): void {
    if (this.#writer.recovered()) Atomics.store(this.#i32, this.#base + SUSPECT, 1)
  }

  /** Clears WRITING, wakes the readers behind it and releases the writer word. */
  #reopen(): void {
    const i32 = this.#i32
    Atomics.store(i32, this.#base + WRITING, 0)
    Atomics.notify(i32, this.#base + WRITING)
    this.#writer.release()
  }

  /** A reader found WRITING set for a whole slice: if its writer is dead, reopen. */
  #reopenIfWriterDied(): void {
    if (Atomics.load(this.#i32, this.#base + WRITING) !== 1) return
    if (!this.#writer.tryAcquire()) return
    this.#markSuspectIfRecovered()
    this.#reopen()
  }
}
