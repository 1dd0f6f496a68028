/**
 * Per-thread holdings of a shared resource: read locks of an RWMutex, permits of a
 * Semaphore, WaitGroup obligations. A single counter would say how much is held but
 * not by whom, so a thread that dies holding a share would keep it for ever. Each
 * slot names its owner, so the share of a dead thread is known exactly and can be
 * given back (`reclaimDead`).
 *
 * Layout: `count` slots of two Int32 words at `base`:
 *   word 0, owner: NEVER (0) = never used, FREED = free again, RECLAIMING while a
 *                  reclaimer empties it, else owner id
 *   word 1, held:  the owner's holdings
 *
 * Who writes what: a slot is claimed by CAS on its owner word (free -> id), so two
 * claimers never share one. Its `held` word is written only by the code path its
 * primitive serialises for that owner (the owner thread itself for RWMutex readers,
 * through a slot it owns at that moment, never an index kept across a wait; the
 * primitive's internal lock for Semaphore and WaitGroup). A slot is freed by
 * storing FREED in its owner word after its held word is 0. A reclaimer takes a dead
 * owner's slot by CAS owner -> RECLAIMING, so of several reclaimers exactly one
 * gives the holdings back.
 *
 * The used slots form a prefix: a claim takes the lowest free slot (or its own last
 * one, which is inside the prefix), and a freed slot never becomes NEVER again. So
 * every scan stops at the first NEVER slot, and a writer checking for readers reads
 * as many slots as threads have ever read at once, not all of them. A claim racing a
 * scan is safe: the claimer publishes its owner and count before it checks the
 * primitive's state, the scanner changes that state before it scans (RWLock's
 * Dekker pair), so one of them sees the other.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { selfId, type ThreadRegistry } from './threads.js'

export const SLOT_WORDS = 2
const NEVER = 0
const FREED = -2
const RECLAIMING = -1
/**
 * A flag in a slot's held word, beside the count: its owner is waiting for the
 * resource (an RWLock reader sleeping behind a writer). Counts and totals ignore it;
 * `liveWaiting` counts it for threads still alive, so a waiter that dies stops
 * counting without anyone having to clean up after it.
 */
export const WAITING_FLAG = 1 << 30
const COUNT = WAITING_FLAG - 1

export class HolderSlots {
  readonly #i32: Int32Array
  readonly #base: number
  readonly #count: number
  readonly #registry: ThreadRegistry
  /** Where this thread's slot was last: a hint, re-checked before each use. */
  #hint = -1

  constructor(i32: Int32Array, base: number, count: number, registry: ThreadRegistry) {
    this.#i32 = i32
    this.#base = base
    this.#count = count
    this.#registry = registry
  }

  /** This thread's slot, or -1 when it holds none. */
  mine(): number {
    const hint = this.#hint
    if (hint >= 0 && Atomics.load(this.#i32, this.#base + hint * SLOT_WORDS) === selfId) return hint
    const found = this.find(selfId)
    if (found >= 0) this.#hint = found
    return found
  }

  find(ownerId: number): number {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#count; slot++) {
      const owner = Atomics.load(i32, this.#base + slot * SLOT_WORDS)
      if (owner === ownerId) return slot
      if (owner === NEVER) return -1
    }
    return -1
  }

  /**
   * The slot of `ownerId`, claiming a free one if it has none. The caller's own id
   * enters the registry first (a slot naming a thread the registry does not know
   * would read as dead and be reclaimed); another thread's id must already be there
   * (WaitGroup admits an obligee before claiming its slot).
   */
  claim(ownerId: number = selfId): number {
    const i32 = this.#i32
    if (ownerId === selfId) {
      this.#registry.enter()
      // The common case: this thread's last slot, still its own or free again.
      const hint = this.#hint
      if (hint >= 0) {
        const at = this.#base + hint * SLOT_WORDS
        const owner = Atomics.load(i32, at)
        if (owner === selfId || (owner === FREED && Atomics.compareExchange(i32, at, FREED, selfId) === FREED)) return hint
      }
    }
    const existing = ownerId === selfId ? this.mine() : this.find(ownerId)
    if (existing >= 0) return existing
    for (let slot = 0; slot < this.#count; slot++) {
      const at = this.#base + slot * SLOT_WORDS
      const owner = Atomics.load(i32, at)
      if ((owner === NEVER || owner === FREED) && Atomics.compareExchange(i32, at, owner, ownerId) === owner) {
        if (ownerId === selfId) this.#hint = slot
        return slot
      }
    }
    throw conmapError(ErrorCode.TOO_MANY_THREADS, `more than ${this.#count} threads hold a share at once (raise the primitive's slot count)`)
  }

  held(slot: number): number {
    return Atomics.load(this.#i32, this.#base + slot * SLOT_WORDS + 1)
  }

  setHeld(slot: number, value: number): void {
    Atomics.store(this.#i32, this.#base + slot * SLOT_WORDS + 1, value)
  }

  /** Frees a slot whose holdings are 0. */
  free(slot: number): void {
    Atomics.store(this.#i32, this.#base + slot * SLOT_WORDS, FREED)
  }

  /** What this thread holds. */
  heldBySelf(): number {
    const slot = this.mine()
    return slot < 0 ? 0 : this.held(slot) & COUNT
  }

  anyHeld(): boolean {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#count; slot++) {
      const at = this.#base + slot * SLOT_WORDS
      if ((Atomics.load(i32, at + 1) & COUNT) !== 0) return true
      if (Atomics.load(i32, at) === NEVER) return false
    }
    return false
  }

  total(): number {
    let sum = 0
    for (let slot = 0; slot < this.#count && this.#owner(slot) !== NEVER; slot++) sum += this.held(slot) & COUNT
    return sum
  }

  /** Owners holding something now (for error messages). */
  holders(): number[] {
    const owners: number[] = []
    for (let slot = 0; slot < this.#count; slot++) {
      const owner = this.#owner(slot)
      if (owner === NEVER) break
      if (owner > 0 && (this.held(slot) & COUNT) !== 0) owners.push(owner)
    }
    return owners
  }

  /** Slots flagged WAITING whose owner is alive. */
  liveWaiting(): number {
    let waiting = 0
    for (let slot = 0; slot < this.#count; slot++) {
      const owner = this.#owner(slot)
      if (owner === NEVER) break
      if ((this.held(slot) & WAITING_FLAG) !== 0 && this.#registry.isAlive(owner)) waiting++
    }
    return waiting
  }

  #owner(slot: number): number {
    return Atomics.load(this.#i32, this.#base + slot * SLOT_WORDS)
  }

  /** Empties the slots of dead threads; returns what they held in all. */
  reclaimDead(): number {
    const i32 = this.#i32
    let reclaimed = 0
    for (let slot = 0; slot < this.#count; slot++) {
      const at = this.#base + slot * SLOT_WORDS
      const owner = Atomics.load(i32, at)
      if (owner === NEVER) break
      if (owner <= 0 || owner === selfId || this.#registry.isAlive(owner)) continue
      if (Atomics.compareExchange(i32, at, owner, RECLAIMING) !== owner) continue
      reclaimed += Atomics.exchange(i32, at + 1, 0) & COUNT
      Atomics.store(i32, at, FREED)
    }
    return reclaimed
  }
}
