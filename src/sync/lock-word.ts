/**
 * The owner-aware lock word: the one mutual-exclusion algorithm of conmap. Mutex,
 * the writer side of RWMutex, the internal locks of Semaphore and WaitGroup and the
 * map's shard locks are all this word.
 *
 * Layout (two Int32 words at `index`):
 *   word 0, state:  0 = free; otherwise (owner id << 1) | WAITERS
 *                   owner id = threadId + 1 (threads.ts), WAITERS = bit 0: some
 *                   thread may sleep on this word, so release must notify.
 *                   Owner ids stay below 2^30, so the word is never negative.
 *   word 1, recovered: 1 while the current holder took the lock over from a dead
 *                   owner (the data it guards may be half-written); cleared by release.
 *
 * This is Drepper's three-state futex mutex ("Futexes Are Tricky", mutex 2) with the
 * owner's id in place of the constant 1. Acquire: CAS 0 -> me; else set WAITERS and
 * Atomics.wait on the word. Release: CAS me -> 0, or, if WAITERS is set, store 0 and
 * wake one waiter, which re-acquires with WAITERS set because others may still sleep.
 *
 * Dead owners: a waiter whose slice runs out checks the owner id against the
 * thread registry; if that thread is gone, it CASes the exact word it saw to its own
 * id (keeping WAITERS), so of several waiters exactly one takes over, and it sets
 * `recovered`. Ownership is per thread: async tasks of one thread share it.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { describeThreads, selfId, type ThreadRegistry } from './threads.js'
import { sliceUntil, step, type Steps } from './wait.js'

export const LOCK_WORDS = 2
const WAITERS = 1
/** Rounds of polling before sleeping: a critical section of a few hundred ns ends within them. */
const SPIN_ROUNDS = 64

export function ownerOf(state: number): number {
  return state >>> 1
}

export class LockWord {
  readonly #i32: Int32Array
  readonly #at: number
  readonly #registry: ThreadRegistry
  readonly #mine: number

  constructor(i32: Int32Array, index: number, registry: ThreadRegistry) {
    this.#i32 = i32
    this.#at = index
    this.#registry = registry
    this.#mine = selfId << 1
  }

  /** Owner id of the current holder, 0 when free. */
  holder(): number {
    return ownerOf(Atomics.load(this.#i32, this.#at))
  }

  heldBySelf(): boolean {
    return this.holder() === selfId
  }

  /** True while the holder took the lock over from a thread that died holding it. */
  recovered(): boolean {
    return Atomics.load(this.#i32, this.#at + 1) === 1
  }

  /** One attempt, plus a take-over if the holder is a dead thread. */
  tryAcquire(): boolean {
    this.#registry.enter()
    const seen = Atomics.compareExchange(this.#i32, this.#at, 0, this.#mine)
    return seen === 0 || this.#takeOverIfDead(seen)
  }

  /**
   * The waiting acquisition as steps for runBlocking/runAsync. `blocking` says the
   * caller will sleep its whole thread: then waiting for a lock this thread already
   * holds can never end, and ERR_DEADLOCK replaces the hang.
   */
  *acquireSteps(deadline: number, blocking: boolean): Steps<void> {
    if (this.tryAcquire()) return
    const began = performance.now()
    const i32 = this.#i32
    const at = this.#at
    for (let i = 0; i < SPIN_ROUNDS; i++) {
      if (Atomics.load(i32, at) === 0 && Atomics.compareExchange(i32, at, 0, this.#mine) === 0) return
    }
    for (;;) {
      let seen = Atomics.load(i32, at)
      if (seen === 0) {
        if (Atomics.compareExchange(i32, at, 0, this.#mine | WAITERS) === 0) return
        continue
      }
      if (blocking && ownerOf(seen) === selfId) {
        throw conmapError(ErrorCode.DEADLOCK, 'this thread already holds the lock: waiting for it would block for ever')
      }
      if ((seen & WAITERS) === 0) {
        if (Atomics.compareExchange(i32, at, seen, seen | WAITERS) !== seen) continue
        seen |= WAITERS
      }
      const slice = sliceUntil(deadline)
      if (slice === undefined) throw lockTimeout(this.#registry, [ownerOf(seen)], began)
      const outcome = yield step(i32, at, seen, slice)
      if (outcome === 'timed-out' && this.#takeOverIfDead(Atomics.load(i32, at))) return
    }
  }

  /** Releases a lock this thread holds (ERR_NOT_LOCKED otherwise); true when it woke a waiting thread. */
  release(): boolean {
    const i32 = this.#i32
    const at = this.#at
    const seen = Atomics.load(i32, at)
    if (ownerOf(seen) !== selfId) {
      throw conmapError(ErrorCode.NOT_LOCKED, seen === 0 ? 'unlock of an unlocked lock' : 'unlock of a lock held by another thread')
    }
    Atomics.store(i32, at + 1, 0)
    if ((seen & WAITERS) === 0 && Atomics.compareExchange(i32, at, seen, 0) === seen) return false
    Atomics.store(i32, at, 0)
    return Atomics.notify(i32, at, 1) > 0
  }

  #takeOverIfDead(seen: number): boolean {
    const owner = ownerOf(seen)
    if (owner === 0 || owner === selfId || this.#registry.isAlive(owner)) return false
    if (Atomics.compareExchange(this.#i32, this.#at, seen, this.#mine | (seen & WAITERS)) !== seen) return false
    Atomics.store(this.#i32, this.#at + 1, 1)
    return true
  }
}

/**
 * ERR_LOCK_TIMEOUT naming who held what the caller waited for (owner ids; empty
 * when nobody owns it, e.g. a WaitGroup's unowned count), with what the registry
 * knows of each: whether to wait longer, fix a stuck holder or watch a worker.
 */
export function lockTimeout(registry: ThreadRegistry, holders: readonly number[], began: number, what = 'the lock was not acquired'): Error {
  const who = holders.length === 0 ? 'no thread is known to hold it' : `held by ${describeThreads(registry, holders)}`
  return conmapError(ErrorCode.LOCK_TIMEOUT, `timed out after ${Math.round(performance.now() - began)} ms: ${what} before the deadline; ${who}`)
}
