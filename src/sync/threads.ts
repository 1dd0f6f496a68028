/**
 * Thread identity and liveness, so that locks can name their owner and recover
 * from a thread that died holding them.
 *
 * A thread's owner id is `threadId + 1` (the main thread is 1, never 0, so that 0
 * can mean "free" in lock words). Node never reuses a threadId within a process, so
 * an owner id stays unambiguous after its thread is gone.
 *
 * The registry is a set of live owner ids in shared memory, one per process: the
 * first thread that loads conmap creates it and publishes it with
 * `setEnvironmentData`, so every worker started afterwards inherits the same buffer;
 * every handle also carries it, so an object attached anywhere checks liveness
 * against the registry its lock words were written under.
 *
 *   word 0: magic (Kind.Registry)
 *   word 1: capacity C (a power of two)
 *   word 2..3: random 64-bit registry id (two threads holding clones of one
 *              registry buffer recognise it by this id, not by object identity)
 *   word 4 ..< 4 + C: open-addressed set of owner ids; 0 = never used,
 *              TOMBSTONE = removed (probes continue past it)
 *
 * A thread inserts itself before it first writes its id into any lock word or
 * holder slot (`enter()`), so "not in the set" means "dead" for every id found
 * there. The one id written by another thread, a WaitGroup obligee's, is inserted
 * by that writer first (`admit()`), since the obligee may not have run any conmap
 * code yet. Insertion is idempotent (a thread and the one admitting it may race:
 * either finds the other's entry, and `markDead` removes every copy should both
 * have written one). `watch(worker)` removes a worker's id when it exits; from then
 * on waiters that find the dead id in a lock word take the lock over (see
 * lock-word.ts). Threads that exit unwatched stay "alive" for ever: their locks are
 * never reclaimed.
 */
import { getEnvironmentData, setEnvironmentData, threadId, type Worker } from 'node:worker_threads'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, magicOf } from '../shared/handle.js'

const HEADER_WORDS = 4
/** 4096 concurrently live threads per process: far past what a machine schedules. */
const CAPACITY = 4096
const TOMBSTONE = -1
const ENV_KEY = 'conmap:thread-registry'

/** This thread's owner id as written into lock words. */
export const selfId: number = threadId + 1

export class ThreadRegistry {
  readonly buffer: SharedArrayBuffer
  readonly #slots: Int32Array
  readonly #mask: number
  #entered = false

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    const header = new Int32Array(buffer, 0, HEADER_WORDS)
    const capacity = header[1] ?? 0
    this.#slots = new Int32Array(buffer, HEADER_WORDS * 4, capacity)
    this.#mask = capacity - 1
  }

  /** The registry this thread uses for objects it creates. */
  static local(): ThreadRegistry {
    if (local === undefined) {
      const inherited = getEnvironmentData(ENV_KEY)
      if (inherited instanceof SharedArrayBuffer && isRegistryBuffer(inherited)) {
        local = ThreadRegistry.of(inherited)
      } else {
        const buffer = new SharedArrayBuffer((HEADER_WORDS + CAPACITY) * 4)
        const header = new Int32Array(buffer, 0, HEADER_WORDS)
        header[0] = magicOf(Kind.Registry)
        header[1] = CAPACITY
        header[2] = (Math.random() * 0x100000000) | 0
        header[3] = (Math.random() * 0x100000000) | 0
        local = ThreadRegistry.of(buffer)
        setEnvironmentData(ENV_KEY, buffer)
      }
    }
    return local
  }

  /** The registry behind a buffer received in a handle; one object per registry per thread. */
  static of(buffer: SharedArrayBuffer): ThreadRegistry {
    if (!isRegistryBuffer(buffer)) throw conmapError(ErrorCode.INVALID_HANDLE, 'the handle names no conmap thread registry')
    const id = registryId(buffer)
    let registry = known.get(id)
    if (registry === undefined) {
      registry = new ThreadRegistry(buffer)
      known.set(id, registry)
    }
    return registry
  }

  /** Records this thread as alive; idempotent and cheap after the first call. */
  enter(): void {
    if (this.#entered) return
    this.#insert(selfId)
    this.#entered = true
  }

  /**
   * Records another thread as alive before its id is written on its behalf (a
   * WaitGroup obligation). The thread must not have exited: a dead id admitted
   * again would read as alive for ever.
   */
  admit(ownerId: number): void {
    if (ownerId === selfId) this.enter()
    else this.#insert(ownerId)
  }

  isAlive(ownerId: number): boolean {
    return this.#find(ownerId) >= 0
  }

  /** Removes a thread that has exited; its lock words become reclaimable. */
  markDead(ownerId: number): void {
    for (let at = this.#find(ownerId); at >= 0; at = this.#find(ownerId)) {
      Atomics.compareExchange(this.#slots, at, ownerId, TOMBSTONE)
    }
  }

  /** Adds `ownerId` unless present: the first free place of its probe chain, retried if taken meanwhile. */
  #insert(ownerId: number): void {
    const slots = this.#slots
    const start = mix(ownerId) & this.#mask
    for (;;) {
      let free = -1
      let freeSeen = 0
      for (let i = 0; i <= this.#mask; i++) {
        const at = (start + i) & this.#mask
        const seen = Atomics.load(slots, at)
        if (seen === ownerId) return
        if (seen !== 0 && seen !== TOMBSTONE) continue
        if (free < 0) {
          free = at
          freeSeen = seen
        }
        if (seen === 0) break
      }
      if (free < 0) throw conmapError(ErrorCode.TOO_MANY_THREADS, `more than ${CAPACITY} live threads use conmap in this process`)
      if (Atomics.compareExchange(slots, free, freeSeen, ownerId) === freeSeen) return
    }
  }

  #find(ownerId: number): number {
    const slots = this.#slots
    const start = mix(ownerId) & this.#mask
    for (let i = 0; i <= this.#mask; i++) {
      const at = (start + i) & this.#mask
      const seen = Atomics.load(slots, at)
      if (seen === ownerId) return at
      if (seen === 0) return -1
    }
    return -1
  }
}

let local: ThreadRegistry | undefined
const known = new Map<string, ThreadRegistry>()

function isRegistryBuffer(buffer: SharedArrayBuffer): boolean {
  if (buffer.byteLength < HEADER_WORDS * 4) return false
  const header = new Int32Array(buffer, 0, HEADER_WORDS)
  const capacity = header[1] ?? 0
  return header[0] === magicOf(Kind.Registry) && capacity > 0 && (capacity & (capacity - 1)) === 0 && buffer.byteLength === (HEADER_WORDS + capacity) * 4
}

function registryId(buffer: SharedArrayBuffer): string {
  const header = new Int32Array(buffer, 0, HEADER_WORDS)
  return `${header[2]}:${header[3]}`
}

function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return h ^ (h >>> 16)
}

/**
 * Makes a worker's locks recoverable: when it exits (terminate(), an uncaught
 * error, or a normal end) its owner id is removed from every registry this thread
 * knows, and any lock, read lock, permit or WaitGroup obligation it still held is
 * taken over by the next thread that waits for it, which is told so (`ownerDied`
 * on guards, ERR_OWNER_DIED from WaitGroup.wait). Returns a function that stops
 * watching. Call it right after `new Worker(...)`.
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

/** Declares a thread dead by its threadId; `watch` calls this on exit. */
export function markThreadDead(deadThreadId: number): void {
  if (deadThreadId + 1 === selfId) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'a thread cannot declare itself dead')
  for (const registry of known.values()) registry.markDead(deadThreadId + 1)
}

// Published at load, not on first use: a worker inherits environment data only if it
// was set before the worker was created, and users create workers before locks.
ThreadRegistry.local()
