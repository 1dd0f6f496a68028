/**
 * How each concurrency strategy protects the shards. The map calls lockWrite /
 * unlockWrite around every change and lockRead / unlockRead around reads in every
 * strategy but 'optimistic', whose readers take no lock (read.ts validates
 * the shard seq instead).
 *
 *   optimistic  a lock word per shard (writers only)
 *   sharded     an RWLock per shard (seed 000's recommendation)
 *   rwmutex     one RWLock for the whole map
 *   mutex       one lock word for the whole map; readers take it too
 *   none        no lock: Go's misuse detection. A writer claims the header word
 *               NONE_WRITER by CAS; finding it taken by a live thread is "concurrent
 *               map writes". Writers keep NONE_SEQ odd while writing; a reader that
 *               sees it odd, or changed across its read (a reader never writes during
 *               its own read), is "concurrent map read and map write" (an iterator:
 *               "… iteration and map write"). A detection poisons the map (header word
 *               POISON) so every later call on any thread fails instead of returning
 *               torn data. A write left unfinished by a dead thread is not a misuse:
 *               the first thread to meet it claims NONE_REPAIRER and finishes it as a
 *               write of its own; threads meeting it meanwhile wait for that write.
 *
 * Waits: every lock acquisition waits at most the map's lockTimeout (this thread's
 * option; a guarded call's timeout tightens it, sync/call-scope.ts) and then throws ERR_LOCK_TIMEOUT naming the holder, before the call has
 * changed anything. 'optimistic' readers wait for no lock: they spin only while a
 * writer is inside its change, which runs no user code, and give up after lockTimeout
 * too (recoverDeadWriter).
 *
 * Metrics (a map made with metrics: true): `waits` counts every acquisition in this
 * thread's row, and times the ones that had to wait; off, it costs one
 * well-predicted test per acquisition.
 *
 * Dead holders: whichever path takes a lock over from a thread that died holding
 * it, a writer's or a reader's, calls `repair` with the lock held exclusively (the
 * shard, or -1 for all shards under a map-wide lock) before anything else reads or
 * changes what it guards. An RWLock reopened by a reader keeps its `suspect` flag
 * until the next write unlock, so the next writer repairs.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { LockWord, lockTimeout } from '../sync/lock-word.js'
import { RWLock } from '../sync/rw-lock.js'
import { selfId, type ThreadRegistry } from '../sync/threads.js'
import { runBlockingTallied, waitBound } from '../sync/call-scope.js'
import { failpoint } from './failpoints.js'
import { H, Strategy, type StrategyId } from './layout.js'
import { LockMode } from '../metrics/layout.js'
import type { Recorder } from '../metrics/recorder.js'

/** Longest pause between two recoverDeadWriter calls of one spinning read (16 backOffs of at most 1 ms each, plus the reads). */
const SPIN_GAP_MS = 100

export const Poison = {
  [ErrorCode.CONCURRENT_MAP_WRITES]: 1,
  [ErrorCode.CONCURRENT_MAP_READ_WRITE]: 2,
  [ErrorCode.CONCURRENT_MAP_ITERATION_WRITE]: 3,
} as const
type PoisonCode = keyof typeof Poison

const messages: Readonly<Record<PoisonCode, string>> = {
  ERR_CONCURRENT_MAP_WRITES: 'concurrent map writes',
  ERR_CONCURRENT_MAP_READ_WRITE: 'concurrent map read and map write',
  ERR_CONCURRENT_MAP_ITERATION_WRITE: 'concurrent map iteration and map write',
}

export class Protection {
  /** True when one lock guards every shard. */
  readonly global: boolean
  readonly #strategy: StrategyId
  readonly #words: readonly LockWord[]
  readonly #rw: readonly RWLock[]
  readonly #i32: Int32Array
  readonly #registry: ThreadRegistry
  readonly #repair: (shard: number) => void
  /** How long one lock acquisition may wait, in ms (the map's lockTimeout on this thread). */
  readonly #timeout: number
  /** This thread's optimistic read spinning on a changing shard: since when, and its last call. */
  readonly #spin = { since: 0, attempt: 0, at: 0 }
  /** This thread's lock-wait recorder when the map has metrics (metrics/recorder.ts). */
  waits: Recorder | undefined = undefined

  constructor(strategy: StrategyId, i32: Int32Array, shardLockIndexes: readonly number[], registry: ThreadRegistry, repair: (shard: number) => void, timeout: number) {
    this.#strategy = strategy
    this.#i32 = i32
    this.#registry = registry
    this.#repair = repair
    this.#timeout = timeout
    this.global = strategy === Strategy.rwmutex || strategy === Strategy.mutex || strategy === Strategy.none
    const at = strategy === Strategy.optimistic || strategy === Strategy.sharded ? shardLockIndexes : [H.GLOBAL_LOCK]
    this.#words = strategy === Strategy.optimistic || strategy === Strategy.mutex ? at.map((index) => new LockWord(i32, index, registry)) : []
    this.#rw = strategy === Strategy.sharded || strategy === Strategy.rwmutex ? at.map((index) => new RWLock(i32, index, registry)) : []
  }

  lockWrite(shard: number): void {
    this.#acquireWrite(shard, true)
  }

  /**
   * lockWrite() without waiting: false when another thread holds the lock (a dead
   * holder included: its lock is taken over only by a waiting writer). For
   * background work that must never block its thread.
   */
  tryLockWrite(shard: number): boolean {
    return this.#acquireWrite(shard, false)
  }

  #acquireWrite(shard: number, wait: boolean): boolean {
    const lock = this.global ? 0 : shard
    let recovered: boolean
    switch (this.#strategy) {
      case Strategy.optimistic:
      case Strategy.mutex: {
        const word = this.#words[lock] as LockWord
        const waits = this.waits
        if (word.tryAcquire()) waits?.acquired(LockMode.write)
        else {
          if (!wait) return false
          const from = waits === undefined ? 0 : performance.now()
          runBlockingTallied(this.#timeout, (deadline) => word.acquireSteps(deadline, true))
          if (waits) waits.waited(LockMode.write, from)
        }
        recovered = word.recovered()
        break
      }
      case Strategy.sharded:
      case Strategy.rwmutex: {
        const rw = this.#rw[lock] as RWLock
        const waits = this.waits
        if (rw.tryLock()) {
          waits?.acquired(LockMode.write)
          recovered = rw.suspect()
        } else if (wait) {
          const from = waits === undefined ? 0 : performance.now()
          recovered = runBlockingTallied(this.#timeout, (deadline) => rw.lockSteps(deadline, true))
          if (waits) waits.waited(LockMode.write, from)
        } else return false
        break
      }
      case Strategy.none:
        this.#enterWrite()
        return true
    }
    if (!recovered) return true
    try {
      this.#repairHeld(shard)
    } catch (err) {
      this.unlockWrite(shard)
      throw err
    }
    return true
  }

  unlockWrite(shard: number): void {
    switch (this.#strategy) {
      case Strategy.optimistic:
      case Strategy.mutex:
        ;(this.#words[this.global ? 0 : shard] as LockWord).release()
        return
      case Strategy.sharded:
      case Strategy.rwmutex:
        ;(this.#rw[this.global ? 0 : shard] as RWLock).unlock()
        return
      case Strategy.none: {
        const i32 = this.#i32
        Atomics.add(i32, H.NONE_SEQ, 1)
        Atomics.store(i32, H.NONE_WRITER, 0)
        Atomics.notify(i32, H.NONE_SEQ)
      }
    }
  }

  /**
   * Returns a token for unlockRead. Not called for 'optimistic'. `iterating` picks
   * Go's iteration message for a detection under 'none'.
   */
  lockRead(shard: number, iterating = false): number {
    switch (this.#strategy) {
      case Strategy.sharded:
      case Strategy.rwmutex: {
        const rw = this.#rw[this.global ? 0 : shard] as RWLock
        const waits = this.waits
        if (rw.tryRLock()) waits?.acquired(LockMode.read)
        else {
          const from = waits === undefined ? 0 : performance.now()
          runBlockingTallied(this.#timeout, (deadline) => rw.rlockSteps(deadline, true))
          if (waits) waits.waited(LockMode.read, from)
        }
        if (!rw.suspect()) return 0
        // This reader reopened the lock of a writer that died: what it guards may be
        // half-changed, so repair it as a writer before reading.
        rw.runlock()
        this.lockWrite(shard)
        this.unlockWrite(shard)
        return this.lockRead(shard, iterating)
      }
      case Strategy.none:
        for (;;) {
          const seq = Atomics.load(this.#i32, H.NONE_SEQ)
          if ((seq & 1) === 0 || Atomics.load(this.#i32, H.NONE_WRITER) === selfId) return seq
          if (!this.#settleDeadWrite()) throw this.poison(iterating ? ErrorCode.CONCURRENT_MAP_ITERATION_WRITE : ErrorCode.CONCURRENT_MAP_READ_WRITE)
        }
      default:
        this.lockWrite(shard)
        return 0
    }
  }

  unlockRead(shard: number, token: number, iterating = false): void {
    switch (this.#strategy) {
      case Strategy.sharded:
      case Strategy.rwmutex:
        ;(this.#rw[this.global ? 0 : shard] as RWLock).runlock()
        return
      case Strategy.none:
        if (Atomics.load(this.#i32, H.NONE_SEQ) !== token) {
          throw this.poison(iterating ? ErrorCode.CONCURRENT_MAP_ITERATION_WRITE : ErrorCode.CONCURRENT_MAP_READ_WRITE)
        }
        return
      default:
        this.unlockWrite(shard)
    }
  }

  /**
   * For 'optimistic' readers that find a shard's seq odd for long (called every 16th
   * attempt of a read): if its writer died, take the shard over, repair it and release
   * it. A writer inside its change runs no user code, so a read that keeps finding it
   * changing for lockTimeout (a writer neither alive nor provably dead) throws
   * ERR_LOCK_TIMEOUT naming it.
   */
  recoverDeadWriter(shard: number, attempt: number): void {
    const word = this.#words[shard] as LockWord
    const holder = word.holder()
    const now = performance.now()
    // One spinning read calls every 16 attempts, a few ms apart; anything else starts a new spin.
    if (attempt - this.#spin.attempt !== 16 || now - this.#spin.at > SPIN_GAP_MS) this.#spin.since = now
    this.#spin.attempt = attempt
    this.#spin.at = now
    if (holder !== 0 && !this.#registry.isAlive(holder) && word.tryAcquire()) {
      try {
        this.#repairHeld(shard)
      } finally {
        word.release()
      }
      return
    }
    if (holder !== 0 && now - this.#spin.since > waitBound(this.#timeout)) {
      throw lockTimeout(this.#registry, [holder], this.#spin.since, 'a read found the shard changing throughout')
    }
  }

  #repairHeld(shard: number): void {
    failpoint('repair:begun')
    this.#repair(this.global ? -1 : shard)
  }

  /** Under 'none': throws ERR_MAP_POISONED once a misuse was detected. */
  checkPoison(): void {
    const code = Atomics.load(this.#i32, H.POISON)
    if (code === 0) return
    const what = (Object.keys(Poison) as PoisonCode[]).find((name) => Poison[name] === code)
    throw conmapError(ErrorCode.MAP_POISONED, `the map is poisoned: a misuse was detected earlier (${what === undefined ? 'unknown' : messages[what]}); it can no longer be used`)
  }

  /** Records a detection (the first one wins) and returns the error to throw. */
  poison(code: PoisonCode): Error {
    Atomics.compareExchange(this.#i32, H.POISON, 0, Poison[code])
    return conmapError(code, `fatal error: ${messages[code]}`)
  }

  /**
   * 'none': another thread's write is in progress. Returns false if its writer is
   * alive (a misuse); true once the write is over: it ended, or its writer was dead
   * and this thread or another finished it (the repairer claims NONE_REPAIRER, takes
   * NONE_WRITER over, repairs every shard and ends the write).
   */
  #settleDeadWrite(): boolean {
    const i32 = this.#i32
    for (;;) {
      const writer = Atomics.load(i32, H.NONE_WRITER)
      if (writer === 0) return true
      // A repairer claims NONE_REPAIRER before it takes NONE_WRITER and keeps it until
      // after it ends the write: a live writer seen with no live repairer is a user's.
      const repairer = Atomics.load(i32, H.NONE_REPAIRER)
      if (repairer !== 0 && repairer !== selfId && this.#registry.isAlive(repairer)) {
        waitBriefly(i32, H.NONE_SEQ, Atomics.load(i32, H.NONE_SEQ))
        continue
      }
      if (this.#registry.isAlive(writer)) {
        if (Atomics.load(i32, H.NONE_WRITER) !== writer) continue
        return false
      }
      this.#registry.enter()
      if (Atomics.compareExchange(i32, H.NONE_REPAIRER, repairer, selfId) !== repairer) continue
      try {
        if (Atomics.compareExchange(i32, H.NONE_WRITER, writer, selfId) === writer) {
          // The dead writer left NONE_SEQ odd, or died just before making it odd.
          if ((Atomics.load(i32, H.NONE_SEQ) & 1) === 0) Atomics.add(i32, H.NONE_SEQ, 1)
          try {
            this.#repairHeld(-1)
          } finally {
            this.unlockWrite(0)
          }
        }
      } finally {
        Atomics.store(i32, H.NONE_REPAIRER, 0)
        Atomics.notify(i32, H.NONE_SEQ)
      }
      return true
    }
  }

  /** 'none': claims the write, after finishing a dead thread's unfinished one. */
  #enterWrite(): void {
    const i32 = this.#i32
    this.#registry.enter()
    for (;;) {
      const seen = Atomics.compareExchange(i32, H.NONE_WRITER, 0, selfId)
      if (seen === 0) break
      if (seen === selfId || !this.#settleDeadWrite()) throw this.poison(ErrorCode.CONCURRENT_MAP_WRITES)
    }
    Atomics.add(i32, H.NONE_SEQ, 1)
  }
}

/** Sleeps until word changes from value, at most a millisecond (spins where Atomics.wait is not allowed). */
function waitBriefly(i32: Int32Array, index: number, value: number): void {
  try {
    Atomics.wait(i32, index, value, 1)
  } catch {
    // The main thread of a browser-like host may not block: spinning is the fallback.
  }
}
