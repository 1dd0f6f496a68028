/**
 * Thread identity and liveness, so that locks can name their owner and recover
 * from a thread that died holding them, whether or not anyone watched it.
 *
 * A thread's owner id is `threadId + 1` (the main thread is 1, never 0, so that 0
 * can mean "free" in lock words). Node never reuses a threadId within a process, so
 * an owner id stays unambiguous after its thread is gone.
 *
 * The registry is a table of threads in shared memory, one per process: the first
 * thread that loads conmap creates it and publishes it with `setEnvironmentData`, so
 * every worker started afterwards inherits the same buffer; every handle also
 * carries it, so an object attached anywhere checks liveness against the registry
 * its lock words were written under. A thread enters every registry it meets as soon
 * as it meets it (loading conmap, attaching a handle), before it can write its id
 * into any lock word, so "not in the table" means "dead" for every id found there.
 * The one id written by another thread, a WaitGroup obligee's, is entered by that
 * writer first (`admit()`), since the obligee may not have run any conmap code yet.
 *
 * How a death is learnt (measured on Node 20.20 and 24.22):
 *  - Exit hooks: a worker's process 'exit' event runs when it ends normally, calls
 *    process.exit() (even inside a callback holding a lock: `finally` blocks do not
 *    run, the hook does) or dies of an uncaught error. The hook removes the thread.
 *    worker.terminate() runs no JavaScript in the dying thread: no hook.
 *  - Node's 'worker_threads' diagnostics channel (since Node 16.18/18.8, PR #44045)
 *    tells the thread that loaded conmap of every Worker it creates afterwards, pools'
 *    workers included, so each is watched (`watch`) without the user's help. An
 *    'exit' event needs the watching thread's event loop, which a thread blocked in a
 *    synchronous wait does not run.
 *  - Beacons, which need no event loop: each worker keeps BEACONS pending
 *    Atomics.waitAsync waiters on a word of its slot. V8 removes an isolate's async
 *    waiters when it tears the isolate down, 5-30 ms after any death, terminate()
 *    included. A prober reserves one waiter (CONSUMED += 1, allowed only while
 *    CONSUMED < ARMED) and then Atomics.notify()s one: 1 woken means alive, 0 means
 *    no waiter was left, which a live owner cannot have (below). The woken waiter
 *    re-arms itself when its thread's event loop next runs (ARMED += 1).
 *
 * Why 0 woken proves death: the owner registers each waiter before it counts it in
 * ARMED, and a prober counts a wake in CONSUMED before it makes it, so a live owner
 * always has at least ARMED - CONSUMED waiters. A reservation needs ARMED > CONSUMED,
 * so at least one waiter is there for every reserved notify. A slot is reused only
 * when no prober is between its owner check and its notify (PROBING = 0), so no
 * prober of a former owner wakes the new owner's waiters.
 *
 * An owner that does not run its event loop for long (a long synchronous callback)
 * cannot re-arm, and probes use up its waiters: probes are spaced by PROBE_MS times
 * BEACONS / waiters left (about 30 s to use all 64), and a thread with none left, or
 * admitted but never entered, is 'unknown', which counts as alive: a lock is taken
 * over only from a thread proven dead.
 *
 * Slot layout (SLOT_WORDS Int32 words each, from word HEADER_WORDS):
 *   OWNER    NEVER (0) never used | FREED | CLAIMING | owner id
 *   ARMED    waiters the owner registered since it took the slot
 *   CONSUMED waiters probers reserved since then
 *   BEACON   the word the waiters sleep on (always 0)
 *   PROBING  probers between their owner check and their notify
 *   SEEN     Date.now() (wrapped to 32 bits) of the last probe, 0 = never
 * Used slots form a prefix: a claim takes the lowest free slot and a slot never
 * becomes NEVER again, so scans stop at the first NEVER slot. Header: magic,
 * capacity, a random 64-bit registry id.
 */
import { subscribe } from 'node:diagnostics_channel'
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId, type Worker } from 'node:worker_threads'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, magicOf } from '../shared/handle.js'

const HEADER_WORDS = 4
const SLOT_WORDS = 8
/** Threads registered at once per process; slots of dead threads are reused. */
const CAPACITY = 4096
const ENV_KEY = 'conmap:thread-registry:2'

const OWNER = 0
const ARMED = 1
const CONSUMED = 2
const BEACON = 3
const PROBING = 4
const SEEN = 5

const NEVER = 0
const FREED = -1
const CLAIMING = -2

const BEACONS = 64
const PROBE_MS = 20
/** A claim that finds no free slot past this many looks for dead threads first. */
const SWEEP_FROM = 64
const MAIN_ID = 1

/** This thread's owner id as written into lock words. */
export const selfId: number = threadId + 1

/**
 * What the registry knows of a thread: 'alive' (it is this thread or the main
 * thread, or its beacon answered), 'dead' (gone from the registry, or proven dead),
 * 'unknown' (registered, but it has not answered since its event loop last ran, or
 * it never ran conmap code: treated as alive).
 */
export type Liveness = 'alive' | 'dead' | 'unknown'

export class ThreadRegistry {
  readonly buffer: SharedArrayBuffer
  readonly #i32: Int32Array
  readonly #capacity: number
  #entered = false
  /** Slot where an owner id was last found: a hint, checked before use. */
  readonly #hints = new Map<number, number>()

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    this.#i32 = new Int32Array(buffer)
    this.#capacity = this.#i32[1] ?? 0
  }

  /** The registry this thread uses for objects it creates. */
  static local(): ThreadRegistry {
    if (local === undefined) {
      const inherited = getEnvironmentData(ENV_KEY)
      if (inherited instanceof SharedArrayBuffer && isRegistryBuffer(inherited)) {
        local = ThreadRegistry.of(inherited)
      } else {
        const buffer = new SharedArrayBuffer((HEADER_WORDS + CAPACITY * SLOT_WORDS) * 4)
        const header = new Int32Array(buffer, 0, HEADER_WORDS)
        header[0] = magicOf(Kind.Registry)
        header[1] = CAPACITY
        header[2] = (Math.random() * 0x100000000) | 0
        header[3] = (Math.random() * 0x100000000) | 0
        setEnvironmentData(ENV_KEY, buffer)
        local = ThreadRegistry.of(buffer)
      }
    }
    return local
  }

  /** The registry behind a buffer received in a handle; one object per registry per thread, entered at once. */
  static of(buffer: SharedArrayBuffer): ThreadRegistry {
    if (!isRegistryBuffer(buffer)) throw conmapError(ErrorCode.INVALID_HANDLE, 'the handle names no conmap thread registry')
    const id = registryId(buffer)
    let registry = known.get(id)
    if (registry === undefined) {
      registry = new ThreadRegistry(buffer)
      known.set(id, registry)
    }
    registry.enter()
    return registry
  }

  /** Records this thread as alive and arms its beacons; idempotent and cheap after the first call. */
  enter(): void {
    if (this.#entered) return
    if (selfId !== MAIN_ID) {
      hookExit()
      const slot = this.#slotOf(selfId) ?? this.#claim(selfId)
      for (let i = 0; i < BEACONS; i++) this.#arm(slot)
    }
    this.#entered = true
  }

  /**
   * Records another thread as alive before its id is written on its behalf (a
   * WaitGroup obligation). The thread must not have exited: a dead id admitted
   * again would read as alive (unknown) until it is watched.
   */
  admit(ownerId: number): void {
    if (ownerId === selfId) this.enter()
    else if (ownerId !== MAIN_ID && this.#slotOf(ownerId) === undefined) this.#claim(ownerId)
  }

  isAlive(ownerId: number): boolean {
    return this.liveness(ownerId) !== 'dead'
  }

  /** Probes the thread's beacon if it is due; a thread proven dead is removed. */
  liveness(ownerId: number): Liveness {
    if (ownerId === selfId || ownerId === MAIN_ID) return 'alive'
    const now = (Date.now() | 0) || 1
    const hint = this.#hints.get(ownerId)
    let verdict: Liveness | undefined = hint === undefined ? undefined : this.#probe(hint, ownerId, now)
    if (verdict === 'alive') return 'alive'
    const i32 = this.#i32
    for (let slot = 0; verdict !== 'dead' && slot < this.#capacity; slot++) {
      const owner = Atomics.load(i32, at(slot) + OWNER)
      if (owner === NEVER) break
      if (owner !== ownerId || slot === hint) continue
      const seen = this.#probe(slot, ownerId, now)
      if (seen === undefined) continue
      this.#hints.set(ownerId, slot)
      if (seen === 'alive') return 'alive'
      verdict = seen
    }
    if (verdict === 'unknown') return 'unknown'
    // Not found, or one copy proven dead (an admitted copy of a thread may sit beside its own).
    this.markDead(ownerId)
    return 'dead'
  }

  /** Removes a thread that has exited; its lock words become reclaimable and its slot reusable. */
  markDead(ownerId: number): void {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#capacity; slot++) {
      const owner = Atomics.load(i32, at(slot) + OWNER)
      if (owner === NEVER) break
      if (owner === ownerId) Atomics.compareExchange(i32, at(slot) + OWNER, ownerId, FREED)
    }
    this.#hints.delete(ownerId)
  }

  /** This thread is exiting (its exit hook): it leaves; should it use conmap again, it enters again. */
  leave(): void {
    if (!this.#entered) return
    this.#entered = false
    if (selfId !== MAIN_ID) this.markDead(selfId)
  }

  /** Threads registered now, dead ones not yet found included. */
  registered(): number {
    let count = 0
    for (let slot = 0; slot < this.#capacity; slot++) {
      const owner = Atomics.load(this.#i32, at(slot) + OWNER)
      if (owner === NEVER) break
      if (owner > 0) count++
    }
    return count
  }

  #slotOf(ownerId: number): number | undefined {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#capacity; slot++) {
      const owner = Atomics.load(i32, at(slot) + OWNER)
      if (owner === ownerId) return slot
      if (owner === NEVER) return undefined
    }
    return undefined
  }

  /** A slot for ownerId: the lowest free one, after removing dead threads once the table is long. */
  #claim(ownerId: number): number {
    let slot = this.#claimFree(ownerId, false)
    if (slot >= 0) return slot
    if (this.#used() >= SWEEP_FROM) {
      this.#sweep()
      slot = this.#claimFree(ownerId, false)
      if (slot >= 0) return slot
    }
    slot = this.#claimFree(ownerId, true)
    if (slot >= 0) return slot
    throw conmapError(ErrorCode.TOO_MANY_THREADS, `more than ${this.#capacity} threads use conmap at once in this process (all alive, or not yet known to be dead)`)
  }

  #claimFree(ownerId: number, extend: boolean): number {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#capacity; slot++) {
      const base = at(slot)
      const owner = Atomics.load(i32, base + OWNER)
      if (owner === NEVER && !extend) return -1
      if (owner !== NEVER && owner !== FREED) continue
      if (Atomics.compareExchange(i32, base + OWNER, owner, CLAIMING) !== owner) {
        slot--
        continue
      }
      // A prober of the former owner may still be about to notify: not this slot now.
      if (Atomics.load(i32, base + PROBING) !== 0) {
        Atomics.store(i32, base + OWNER, owner)
        continue
      }
      Atomics.store(i32, base + ARMED, 0)
      Atomics.store(i32, base + CONSUMED, 0)
      Atomics.store(i32, base + SEEN, 0)
      Atomics.store(i32, base + OWNER, ownerId)
      return slot
    }
    return -1
  }

  #used(): number {
    let slot = 0
    while (slot < this.#capacity && Atomics.load(this.#i32, at(slot) + OWNER) !== NEVER) slot++
    return slot
  }

  /** Probes every registered thread, so that dead ones free their slots. */
  #sweep(): void {
    const i32 = this.#i32
    for (let slot = 0; slot < this.#capacity; slot++) {
      const owner = Atomics.load(i32, at(slot) + OWNER)
      if (owner === NEVER) break
      if (owner > 0) this.liveness(owner)
    }
  }

  /** Registers one more beacon waiter of this thread in slot; it re-arms when woken, while the slot is still this thread's. */
  #arm(slot: number): void {
    const i32 = this.#i32
    const base = at(slot)
    const wait = Atomics.waitAsync(i32, base + BEACON, 0)
    if (!wait.async) return
    Atomics.add(i32, base + ARMED, 1)
    void wait.value.then(() => {
      if (Atomics.load(i32, base + OWNER) === selfId) this.#arm(slot)
    })
  }

  /** One slot's answer, or undefined when the slot no longer holds ownerId. */
  #probe(slot: number, ownerId: number, now: number): Liveness | undefined {
    const i32 = this.#i32
    const base = at(slot)
    Atomics.add(i32, base + PROBING, 1)
    try {
      if (Atomics.load(i32, base + OWNER) !== ownerId) return undefined
      const consumed = Atomics.load(i32, base + CONSUMED)
      const left = Atomics.load(i32, base + ARMED) - consumed
      if (left <= 0) return 'unknown'
      const seen = Atomics.load(i32, base + SEEN)
      if (seen !== 0 && ((now - seen) | 0) < (PROBE_MS * BEACONS) / left) return 'alive'
      // Of probers arriving together one probes; the others take the thread as alive for now.
      if (Atomics.compareExchange(i32, base + SEEN, seen, now) !== seen) return 'alive'
      if (Atomics.compareExchange(i32, base + CONSUMED, consumed, consumed + 1) !== consumed) return 'alive'
      return Atomics.notify(i32, base + BEACON, 1) === 1 ? 'alive' : 'dead'
    } finally {
      Atomics.sub(i32, base + PROBING, 1)
    }
  }
}

function at(slot: number): number {
  return HEADER_WORDS + slot * SLOT_WORDS
}

let local: ThreadRegistry | undefined
const known = new Map<string, ThreadRegistry>()

function isRegistryBuffer(buffer: SharedArrayBuffer): boolean {
  if (buffer.byteLength < HEADER_WORDS * 4) return false
  const header = new Int32Array(buffer, 0, HEADER_WORDS)
  const capacity = header[1] ?? 0
  return header[0] === magicOf(Kind.Registry) && capacity > 0 && buffer.byteLength === (HEADER_WORDS + capacity * SLOT_WORDS) * 4
}

function registryId(buffer: SharedArrayBuffer): string {
  const header = new Int32Array(buffer, 0, HEADER_WORDS)
  return `${header[2]}:${header[3]}`
}

let hooked = false

/** A worker leaves every registry when it exits by any path that runs JavaScript. */
function hookExit(): void {
  if (hooked || isMainThread) return
  hooked = true
  process.on('exit', () => {
    for (const registry of known.values()) registry.leave()
  })
}

/**
 * The immediate path: when the worker exits (terminate(), an uncaught error, or a
 * normal end) its owner id is removed from every registry this thread knows, and
 * any lock, read lock, permit or WaitGroup obligation it still held is taken over by
 * the next thread that waits for it, which is told so (`ownerDied` on guards,
 * ERR_OWNER_DIED from WaitGroup.wait). Workers created by a thread after it loaded
 * conmap are watched automatically; without watching, a death is still found by
 * exit hooks and beacons (threads.ts), tens of milliseconds later. Returns a
 * function that stops watching.
 * @throws ConmapError ERR_INVALID_ARGUMENT for a worker that has already exited
 * @example
 * ```ts
 * const worker = new Worker(file, { workerData: map.handle })
 * const unwatch = watch(worker)
 * ```
 */
export function watch(worker: Worker): () => void {
  const ownerId = worker.threadId + 1
  if (ownerId <= 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'watch(worker): the worker has already exited')
  ThreadRegistry.local()
  const onExit = () => markThreadDead(ownerId - 1)
  worker.once('exit', onExit)
  return () => {
    worker.off('exit', onExit)
  }
}

/**
 * Declares a thread dead by its threadId; `watch` calls this on exit. For a thread
 * the registry cannot probe (one that never ran conmap code) whose end you learnt
 * some other way.
 * @throws ConmapError ERR_INVALID_ARGUMENT when a thread declares itself dead
 */
export function markThreadDead(deadThreadId: number): void {
  if (deadThreadId + 1 === selfId) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'a thread cannot declare itself dead')
  for (const registry of known.values()) registry.markDead(deadThreadId + 1)
}

/** "thread 3 (alive)": ids as threadIds, with what the registry knows of each. */
export function describeThreads(registry: ThreadRegistry, ownerIds: readonly number[]): string {
  return ownerIds.map((id) => `thread ${id - 1} (${describeLiveness(registry.liveness(id))})`).join(', ')
}

function describeLiveness(liveness: Liveness): string {
  if (liveness !== 'unknown') return liveness
  return 'unknown: no answer from it, busy in a long synchronous task or not yet running conmap code'
}

// Published at load, not on first use: a worker inherits environment data only if it
// was set before the worker was created, and users create workers before locks.
ThreadRegistry.local()
subscribe('worker_threads', (message) => {
  const worker = (message as { readonly worker?: Worker }).worker
  if (worker !== undefined && worker.threadId >= 0) watch(worker)
})
