/**
 * CircuitBreaker: one breaker for every thread, its whole state in a
 * SharedArrayBuffer of its own, so that it opens for all threads at once.
 *
 * Layout (byte offsets; Int32 words unless said):
 *   0     word 0   magic (shared/handle.ts)
 *   4     word 1   STATE: state in bits 0-1 (CLOSED 0, OPEN 1, HALF_OPEN 2) | generation << 2.
 *                  The generation (30 bits, mod 2^30) moves at every transition, and every
 *                  transition is one CAS of this word: of the threads that see the same
 *                  reason to move, one moves it. A permit names the generation it was
 *                  given in; an outcome whose generation is no longer current is dropped
 *                  (gobreaker's rule), so a late result never trips or closes a later period.
 *   8     word 2   PROBES, the half-open probes: tag << 20 | issued << 10 | passed, with
 *                  tag = generation & 0xfff and 10-bit counts (halfOpenCalls <= 1000). A
 *                  tag other than the current generation's reads as no probes yet, so a
 *                  new half-open period starts fresh without a reset racing its CAS. Tags
 *                  cannot be confused: every half-open period takes at least one probe
 *                  before it can end, so the word always holds the latest period's tag.
 *   64    Float64 × 8  CONFIG: failures, failureRate, minCalls, window, resetAfter,
 *                  halfOpenCalls, slowCall, origin (ms, sharedNow() at creation). Written
 *                  once before the handle exists; read once per thread.
 *   128   BigInt64 × 4 SINCE: µs (sharedNow) of the transition into generation g, at g & 3.
 *                  The mover writes it before its CAS; a thread that loses the CAS wrote
 *                  its own "now" into the slot of the same generation, a little later.
 *   192   the window: STRIPES rows, one per thread (threadId & 7), each BUCKETS cells of
 *                  CELL words (GEN, EPOCH, CALLS, FAILS); a row is 40 words, padded to 48
 *                  (192 bytes, three 64-byte lines) so threads count on lines of their own.
 *                  A cell counts the calls of one generation that ended in one bucket of
 *                  window / BUCKETS ms (EPOCH = its number since origin, mod 2^32). A thread
 *                  that finds a cell of another bucket or generation takes it by CAS of GEN
 *                  to -(its owner id), zeroes it, then stores EPOCH and GEN (published
 *                  last); a cell left taken by a thread that died is taken over. Sums
 *                  read every row: cells of the current generation and of the last BUCKETS
 *                  buckets.
 *   1728  PENDING: SLOTS slots of one 64-byte line (16 words) each, one per thread: word 0
 *                  OWNER (0 never used, else the owner's thread-registry id), word 1 PEND =
 *                  tag << 20 | successes, tag = generation & 0xfff. A thread claims the lowest
 *                  slot that is unused or whose owner died (CAS of OWNER; a slot is never
 *                  unused again, so scans stop at the first unused one) and from then on
 *                  writes PEND alone, with plain stores: its successes of a closed period
 *                  not yet put into the window. Threads past SLOTS count every success in
 *                  the window at once, as below.
 *   5824  end (1456 words)
 *
 * Closed: a call is admitted by one Atomics.load. Outcomes count failures always, and
 * calls only when failureRate is on (its denominator); a failure then sums the window
 * and may open the breaker. With failureRate on, a success costs a plain increment of
 * its thread's PEND, no clock read and no atomic operation: every FOLD-th success and
 * every failure of the thread read the clock and fold PEND into the window's bucket of
 * that moment (the cell first, then PEND back to 0, so that a sum reading PEND before
 * the cells counts a folded success once or twice, never not at all). A sum counts the
 * PEND of every slot tagged with the current generation as calls in the window. So no
 * success is ever missing from a sum, and the rate rule never trips earlier than it
 * would with each success in the bucket it ended in; a success is counted in the
 * bucket of its fold, though, so it may stay in the window past `window`, until its
 * thread's next FOLD − 1 successes or next failure: the rule may trip later, by at
 * most FOLD − 1 successes per thread counted past the window. Open: calls fail fast until resetAfter has passed since
 * it opened; the first caller after that moves it to half-open. Half-open: up to
 * halfOpenCalls probes are let through (a CAS on PROBES each); all passing closes it,
 * the first failure opens it again, an ignored probe (an abort) gives its place back.
 * Probes out for resetAfter (their thread died, an iterator was never finished) give
 * way to a new half-open generation.
 */
import { conmapError, ErrorCode, type ConmapError } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { attachStorage, claimStorage } from '../sync/storage.js'
import { selfId, type ThreadRegistry } from '../sync/threads.js'
import { threadId } from 'node:worker_threads'
import { breakerConfig, type BreakerConfig, type BreakerOptions } from './breaker-options.js'
import { sharedNow } from './clock.js'

const STATE = 1
const PROBES = 2
const CONFIG_BYTE = 64
const SINCE_BYTE = 128
const WINDOW_WORD = 48
const STRIPES = 8
const BUCKETS = 10
const CELL = 4
const ROW_WORDS = 48
const GEN = 0
const EPOCH = 1
const CALLS = 2
const FAILS = 3
const GEN_MASK = 0x3fffffff
const TAG_MASK = 0xfff
const COUNT_MASK = 0x3ff
const PENDING_WORD = WINDOW_WORD + STRIPES * ROW_WORDS
const SLOTS = 64
const SLOT_WORDS = 16
const OWNER = 0
const PEND = 1
const PEND_MASK = 0xfffff
/** Successes a thread keeps in PEND before it reads the clock and folds them into the window. */
const FOLD = 16
const WORDS = PENDING_WORD + SLOTS * SLOT_WORDS
/** #pend before this thread looked for a slot; -1 after it found none. */
const UNCLAIMED = -2

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2

/** What a CircuitBreaker is doing, the same in every thread. */
export type BreakerState = 'closed' | 'open' | 'halfOpen'
const stateNames: readonly BreakerState[] = ['closed', 'open', 'halfOpen']

/** How a call admitted by a CircuitBreaker ended, for settle(): 'ignored' counts as nothing (aborts). */
export type BreakerOutcome = 'success' | 'failure' | 'ignored'

/** The handle of a CircuitBreaker: structured-cloneable, for CircuitBreaker.attach in another thread. */
export type CircuitBreakerHandle = Handle<typeof Kind.CircuitBreaker>

/** A CircuitBreaker's figures, read without locks. */
export interface BreakerStats {
  readonly state: BreakerState
  /** Transitions so far (mod 2^30). */
  readonly generation: number
  /** When the current state began, in ms since the Unix epoch. */
  readonly since: number
  /** Calls of the current closed period in the window (counted only with failureRate on; else 0). */
  readonly calls: number
  /** Failed calls of the current closed period in the window. */
  readonly failures: number
  /** The options, as resolved (0: that trip rule is off). */
  readonly options: BreakerConfig
}

/**
 * A circuit breaker whose state lives in shared memory: every thread that has it
 * (`CircuitBreaker.attach(breaker.handle)` in a worker) admits calls by the same
 * state, so it opens and closes for all of them at once. guard() uses one; give the
 * same breaker to several guards to let them trip together. Use admit() and settle()
 * directly to guard other code.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failures: 5, window: 10_000, resetAfter: 5_000, halfOpenCalls: 3 })
 * new Worker(file, { workerData: { breaker: breaker.handle } })
 * // in the worker:
 * const breaker = CircuitBreaker.attach(workerData.breaker)
 * const permit = breaker.admit()                      // ERR_BREAKER_OPEN while open
 * try { work(); breaker.settle(permit, 'success') } catch (err) { breaker.settle(permit, 'failure'); throw err }
 * ```
 */
export class CircuitBreaker {
  /** Structured-cloneable: send it to a worker and `CircuitBreaker.attach` it there. */
  readonly handle: CircuitBreakerHandle
  readonly #i32: Int32Array
  readonly #since: BigInt64Array
  readonly #config: BreakerConfig
  readonly #origin: number
  readonly #bucketMs: number
  /** failureRate is on: every outcome is counted in the window, not failures only. */
  readonly #countsCalls: boolean
  /** Index of this thread's row of the window. */
  readonly #row: number
  /** Index of this thread's PEND word, once it has a slot (or UNCLAIMED, -1). */
  #pend = UNCLAIMED
  readonly #registry: ThreadRegistry

  /**
   * A new breaker, closed.
   * @throws ConmapError ERR_INVALID_ARGUMENT for an unknown option or one out of its range
   * @example
   * ```ts
   * const breaker = new CircuitBreaker({ failureRate: 0.5, minCalls: 20, window: 10_000 })
   * ```
   */
  constructor(options: BreakerOptions = {}) {
    const fresh = breakerConfigIfNew(options)
    const { i32, handle, registry } = claimStorage(Kind.CircuitBreaker, () => WORDS)
    this.handle = handle
    this.#registry = registry
    this.#i32 = i32
    const buffer = i32.buffer
    const base = i32.byteOffset
    const config = new Float64Array(buffer, base + CONFIG_BYTE, 8)
    this.#since = new BigInt64Array(buffer, base + SINCE_BYTE, 4)
    if (fresh !== undefined) {
      const origin = sharedNow()
      config.set([fresh.failures, fresh.failureRate, fresh.minCalls, fresh.window, fresh.resetAfter, fresh.halfOpenCalls, fresh.slowCall, origin])
      Atomics.store(this.#since, 0, micros(origin))
    }
    const [failures = 0, failureRate = 0, minCalls = 1, window = 1, resetAfter = 1, halfOpenCalls = 1, slowCall = Infinity, origin = 0] = config
    this.#config = Object.freeze({ failures, failureRate, minCalls, window, resetAfter, halfOpenCalls, slowCall })
    this.#origin = origin
    this.#bucketMs = window / BUCKETS
    this.#countsCalls = failureRate !== 0
    this.#row = WINDOW_WORD + (threadId & (STRIPES - 1)) * ROW_WORDS
  }

  /**
   * The same breaker in this thread, from its handle (or the breaker itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a CircuitBreaker's handle
   * @example
   * ```ts
   * const breaker = CircuitBreaker.attach(workerData.breaker)
   * ```
   */
  static attach(source: Attachable<CircuitBreakerHandle>): CircuitBreaker {
    return attachStorage(Kind.CircuitBreaker, source, WORDS, (i32) => i32.length >= WORDS, () => new CircuitBreaker(attachedMarker))
  }

  /** The state now: 'closed', 'open' or 'halfOpen', the same in every thread. An open breaker whose resetAfter has passed reads 'open' until a call moves it. */
  get state(): BreakerState {
    return stateNames[Atomics.load(this.#i32, STATE) & 3] as BreakerState
  }

  /** The options, as resolved (0: that trip rule is off). */
  get options(): BreakerConfig {
    return this.#config
  }

  /**
   * Lets a call through, or refuses it. Returns the permit to give settle() when
   * the call ends. While half-open, each admitted call is one of the probes.
   * @param what names the refused call in the error's message
   * @throws ConmapError ERR_BREAKER_OPEN while open (and while half-open with every probe out)
   * @example
   * ```ts
   * const permit = breaker.admit('checkout')
   * ```
   */
  admit(what = 'the call'): number {
    const permit = this.tryAdmit()
    if (permit < 0) throw this.refusal(what)
    return permit
  }

  /**
   * The error admit() throws for a refused call: ERR_BREAKER_OPEN, saying why and
   * when probes are next let through.
   * @param what names the refused call
   * @example
   * ```ts
   * if (breaker.tryAdmit() < 0) return Promise.reject(breaker.refusal('fetchUser()'))
   * ```
   */
  refusal(what = 'the call'): ConmapError {
    const seen = Atomics.load(this.#i32, STATE)
    const left = Math.ceil(this.#sinceOf(seen >>> 2) + this.#config.resetAfter - sharedNow())
    const why = (seen & 3) === HALF_OPEN ? 'half-open and its probes are out' : `open${left > 0 ? ` (probes in ${left} ms)` : ''}`
    return conmapError(ErrorCode.BREAKER_OPEN, `${what} was refused: the circuit breaker is ${why}`)
  }

  /**
   * admit() without the error: the permit, or -1 when the call is refused.
   * @example
   * ```ts
   * const permit = breaker.tryAdmit()
   * if (permit < 0) return fallback()
   * ```
   */
  tryAdmit(): number {
    // The closed breaker's answer, small enough to be inlined into the caller: one load.
    const seen = Atomics.load(this.#i32, STATE)
    return (seen & 3) === CLOSED ? (seen >>> 2) * 2 : this.#admitNotClosed()
  }

  #admitNotClosed(): number {
    const i32 = this.#i32
    for (;;) {
      const seen = Atomics.load(i32, STATE)
      const gen = seen >>> 2
      const state = seen & 3
      if (state === CLOSED) return gen * 2
      const now = sharedNow()
      const since = this.#sinceOf(gen)
      if (state === OPEN) {
        if (now - since < this.#config.resetAfter) return -1
        this.#move(seen, HALF_OPEN, now)
        continue
      }
      const probes = Atomics.load(i32, PROBES)
      const current = probes >>> 20 === (gen & TAG_MASK)
      const issued = current ? (probes >>> 10) & COUNT_MASK : 0
      if (issued >= this.#config.halfOpenCalls) {
        if (now - since < this.#config.resetAfter) return -1
        this.#move(seen, HALF_OPEN, now)
        continue
      }
      const next = ((gen & TAG_MASK) << 20) | ((issued + 1) << 10) | (current ? probes & COUNT_MASK : 0)
      if (Atomics.compareExchange(i32, PROBES, probes, next) === probes) return gen * 2 + 1
    }
  }

  /**
   * Records how an admitted call ended. An outcome of an earlier generation (the
   * breaker moved since the permit was given) is dropped. 'ignored' counts as no call
   * (an aborted one); a half-open probe ignored gives its place back.
   * @param permit what admit() returned for the call
   * @example
   * ```ts
   * breaker.settle(permit, failed ? 'failure' : 'success')
   * ```
   */
  settle(permit: number, outcome: BreakerOutcome): void {
    // Outside half-open, only failures count, and calls with failureRate on: the common success costs no atomic
    // operation (and this test is small enough to be inlined).
    if ((permit & 1) === 0 && (outcome === 'ignored' || (outcome === 'success' && (!this.#countsCalls || this.#pended(permit))))) return
    this.#settleCounted(permit, outcome)
  }

  /**
   * A success of a closed period counted in this thread's PEND, if it has a slot, the
   * word is tagged with the permit's generation and no fold is due; else false, for
   * #settleCounted to do it. Only this thread writes the word, so a plain increment.
   */
  #pended(permit: number): boolean {
    const at = this.#pend
    if (at < 0) return false
    const word = this.#i32[at] as number
    if (word >>> 20 !== ((permit >>> 1) & TAG_MASK) || (word & PEND_MASK) >= FOLD - 1) return false
    this.#i32[at] = word + 1
    return true
  }

  #settleCounted(permit: number, outcome: BreakerOutcome): void {
    const probe = (permit & 1) === 1
    const gen = permit >>> 1
    const seen = Atomics.load(this.#i32, STATE)
    if (seen >>> 2 !== gen) return
    const state = seen & 3
    if (!probe) {
      if (state !== CLOSED) return
      const failed = outcome === 'failure'
      const at = this.#pend === UNCLAIMED ? this.#claimPending() : this.#pend
      const tag = (gen & TAG_MASK) << 20
      const word = at < 0 ? 0 : Atomics.load(this.#i32, at)
      const current = at >= 0 && (word & ~PEND_MASK) === tag
      // A success with no fold due: into PEND (tagged anew if it held another generation's), no clock read.
      if (!failed && at >= 0 && (!current || (word & PEND_MASK) < FOLD - 1)) {
        Atomics.store(this.#i32, at, current ? word + 1 : tag | 1)
        return
      }
      const now = sharedNow()
      const epoch = Math.floor((now - this.#origin) / this.#bucketMs) | 0
      const pending = current ? word & PEND_MASK : 0
      const counted = this.#count(gen, epoch, 1 + pending, failed)
      // Folded: PEND back to 0. Not (the cell stayed contended): a success joins the pending ones, which stay counted there.
      if (at >= 0) Atomics.store(this.#i32, at, tag | (counted ? 0 : pending + (failed ? 0 : 1)))
      if (failed && this.#trips(gen, epoch)) this.#move(seen, OPEN, now)
      return
    }
    if (state !== HALF_OPEN) return
    if (outcome === 'failure') {
      this.#move(seen, OPEN, sharedNow())
      return
    }
    const i32 = this.#i32
    for (;;) {
      const probes = Atomics.load(i32, PROBES)
      if (probes >>> 20 !== (gen & TAG_MASK)) return
      const next = outcome === 'ignored' ? probes - (1 << 10) : probes + 1
      if (Atomics.compareExchange(i32, PROBES, probes, next) !== probes) continue
      if (outcome === 'success' && (probes & COUNT_MASK) + 1 >= this.#config.halfOpenCalls) this.#move(seen, CLOSED, sharedNow())
      return
    }
  }

  /**
   * Closes the breaker now (a new generation: outcomes of calls admitted before are dropped).
   * @example
   * ```ts
   * breaker.reset()   // after fixing what tripped it
   * ```
   */
  reset(): void {
    for (;;) {
      const seen = Atomics.load(this.#i32, STATE)
      if (this.#move(seen, CLOSED, sharedNow())) return
    }
  }

  /**
   * The breaker's figures now, read without locks.
   * @example
   * ```ts
   * const { state, failures, calls } = breaker.stats()
   * ```
   */
  stats(): BreakerStats {
    const seen = Atomics.load(this.#i32, STATE)
    const gen = seen >>> 2
    const closed = (seen & 3) === CLOSED
    const epoch = Math.floor((sharedNow() - this.#origin) / this.#bucketMs) | 0
    const tally = closed ? this.#tally(gen, epoch) : { calls: 0, fails: 0 }
    return { state: stateNames[seen & 3] as BreakerState, generation: gen, since: this.#sinceOf(gen), calls: tally.calls, failures: tally.fails, options: this.#config }
  }

  #sinceOf(gen: number): number {
    return Number(Atomics.load(this.#since, gen & 3)) / 1000
  }

  /** One CAS from the state word `seen` to `to` in the next generation; true if this thread moved it. */
  #move(seen: number, to: number, now: number): boolean {
    const gen = ((seen >>> 2) + 1) & GEN_MASK
    Atomics.store(this.#since, gen & 3, micros(now))
    return Atomics.compareExchange(this.#i32, STATE, seen, to | (gen << 2)) === seen
  }

  /** Index of the PEND word of the slot this thread claims (its own, an unused one, a dead owner's), or -1 when every slot is held. */
  #claimPending(): number {
    const i32 = this.#i32
    this.#registry.enter()
    let found = -1
    for (let slot = PENDING_WORD; slot < WORDS && found < 0; slot += SLOT_WORDS) {
      const owner = Atomics.load(i32, slot + OWNER)
      if (owner === selfId) found = slot + PEND
      else if ((owner === 0 || !this.#registry.isAlive(owner)) && Atomics.compareExchange(i32, slot + OWNER, owner, selfId) === owner) found = slot + PEND
    }
    this.#pend = found
    return found
  }

  /** Counts `calls` calls (one a failure, if failed) of generation gen in bucket epoch, in this thread's row; false (nothing counted) if the cell stays contended. */
  #count(gen: number, epoch: number, calls: number, failed: boolean): boolean {
    const i32 = this.#i32
    const cell = this.#row + (((epoch % BUCKETS) + BUCKETS) % BUCKETS) * CELL
    for (let attempt = 0; attempt < 16; attempt++) {
      const owner = Atomics.load(i32, cell + GEN)
      if (owner === gen && Atomics.load(i32, cell + EPOCH) === epoch) {
        Atomics.add(i32, cell + CALLS, calls)
        if (failed) Atomics.add(i32, cell + FAILS, 1)
        return true
      }
      // A negative owner is a thread rolling the cell: wait for it, unless it died doing so.
      if (owner < 0 && this.#registry.isAlive(-owner)) continue
      this.#registry.enter()
      if (Atomics.compareExchange(i32, cell + GEN, owner, -selfId) !== owner) continue
      Atomics.store(i32, cell + CALLS, calls)
      Atomics.store(i32, cell + FAILS, failed ? 1 : 0)
      Atomics.store(i32, cell + EPOCH, epoch)
      Atomics.store(i32, cell + GEN, gen)
      return true
    }
    return false
  }

  /** Calls and failures of generation gen in the window ending with bucket epoch, over every thread's row and PEND (read first: see the overview). */
  #tally(gen: number, epoch: number): { calls: number; fails: number } {
    const i32 = this.#i32
    let calls = 0
    let fails = 0
    const tag = gen & TAG_MASK
    for (let slot = PENDING_WORD; slot < WORDS && Atomics.load(i32, slot + OWNER) !== 0; slot += SLOT_WORDS) {
      const word = Atomics.load(i32, slot + PEND)
      if (word >>> 20 === tag) calls += word & PEND_MASK
    }
    for (let row = WINDOW_WORD; row < PENDING_WORD; row += ROW_WORDS) {
      for (let cell = row; cell < row + BUCKETS * CELL; cell += CELL) {
        if (Atomics.load(i32, cell + GEN) !== gen) continue
        const age = (epoch - Atomics.load(i32, cell + EPOCH)) | 0
        if (age < 0 || age >= BUCKETS) continue
        calls += Atomics.load(i32, cell + CALLS)
        fails += Atomics.load(i32, cell + FAILS)
      }
    }
    return { calls, fails }
  }

  #trips(gen: number, epoch: number): boolean {
    const { failures, failureRate, minCalls } = this.#config
    const { calls, fails } = this.#tally(gen, epoch)
    return (failures !== 0 && fails >= failures) || (failureRate !== 0 && calls >= minCalls && fails >= failureRate * calls)
  }

  get [Symbol.toStringTag](): string {
    return 'CircuitBreaker'
  }
}

/** What attach() passes to the constructor, which then reads the options from memory. */
const attachedMarker: BreakerOptions = Object.freeze({})

function breakerConfigIfNew(options: BreakerOptions): BreakerConfig | undefined {
  return options === attachedMarker ? undefined : breakerConfig(options)
}

function micros(ms: number): bigint {
  return BigInt(Math.round(ms * 1000))
}
