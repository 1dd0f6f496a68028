/**
 * Once: Go's sync.Once across threads. `do(fn)` runs fn exactly once in the whole
 * process; callers on other threads wait until it has finished. Unlike Go, a fn that
 * throws does not count: the error reaches its caller and a later do() runs fn again
 * (and so does a waiter whose runner thread died mid-fn, once its death is found).
 *
 * Layout (Int32 words): 0 magic | 1 state: 0 = not run, DONE = -1, else the owner id
 * of the thread running fn (threads.ts). Waiters sleep on the state word.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { lockTimeout } from './lock-word.js'
import { attachStorage, claimStorage } from './storage.js'
import { selfId, type ThreadRegistry } from './threads.js'
import { deadlineOf, runAsync, runBlocking, sliceUntil, step, type AsyncWaitOptions, type Steps, type WaitOptions } from './wait.js'

const STATE = 1
const WORDS = 2
const DONE = -1

export type OnceHandle = Handle<typeof Kind.Once>

/**
 * Go's sync.Once for every thread: fn runs once in the whole process, and callers on
 * other threads wait until it has finished. A fn that throws does not count: its
 * error reaches its caller and the next do() runs fn again.
 *
 * @example
 * ```ts
 * const init = new Once()                       // send init.handle to workers
 * init.do(() => createTables())                 // in every thread: runs once
 * await init.doAsync(async () => loadConfig())  // the same, for an async fn
 * ```
 */
export class Once {
  /** Structured-cloneable: send it to a worker and `Once.attach` it there. */
  readonly handle: OnceHandle
  readonly #i32: Int32Array
  readonly #registry: ThreadRegistry

  constructor() {
    const { i32, registry, handle } = claimStorage(Kind.Once, () => WORDS)
    this.handle = handle
    this.#i32 = i32
    this.#registry = registry
  }

  /**
   * The same Once in this thread, from its handle (or the Once itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but a Once's handle
   */
  static attach(handle: Attachable<OnceHandle>): Once {
    return attachStorage(Kind.Once, handle, WORDS, () => true, () => new Once())
  }

  /** True once fn has completed without throwing. */
  get done(): boolean {
    return Atomics.load(this.#i32, STATE) === DONE
  }

  /**
   * Runs fn unless it has run; blocks while another thread runs it.
   * @throws ConmapError ERR_LOCK_TIMEOUT after options.timeout ms, naming the runner;
   *   ERR_DEADLOCK when called from inside fn; ERR_WAIT_FORBIDDEN where the thread may
   *   not block (use doAsync); whatever fn throws (fn will run again then)
   * @example
   * ```ts
   * once.do(() => { registry = buildRegistry() }, { timeout: 5_000 })
   * ```
   */
  do(fn: () => void, options?: WaitOptions): void {
    if (this.done) return
    if (!runBlocking(this.#claimSteps(deadlineOf(options), true))) return
    this.#finish(fn)
  }

  /**
   * do() for async fns and threads that must not block; awaits fn.
   * @throws ConmapError (rejects with) as do(); `options.signal.reason` on abort
   * @example
   * ```ts
   * await once.doAsync(async () => { schema = await fetchSchema() })
   * ```
   */
  async doAsync(fn: () => unknown, options?: AsyncWaitOptions): Promise<void> {
    if (this.done) return
    if (!(await runAsync(this.#claimSteps(deadlineOf(options), false), options?.signal))) return
    let ok = false
    try {
      await fn()
      ok = true
    } finally {
      this.#settle(ok)
    }
  }

  #finish(fn: () => void): void {
    let ok = false
    try {
      fn()
      ok = true
    } finally {
      this.#settle(ok)
    }
  }

  #settle(ok: boolean): void {
    Atomics.store(this.#i32, STATE, ok ? DONE : 0)
    Atomics.notify(this.#i32, STATE)
  }

  /** Resolves true when this caller must run fn, false when fn has run. */
  *#claimSteps(deadline: number, blocking: boolean): Steps<boolean> {
    const i32 = this.#i32
    this.#registry.enter()
    const began = performance.now()
    for (;;) {
      const state = Atomics.load(i32, STATE)
      if (state === DONE) return false
      if (state === 0) {
        if (Atomics.compareExchange(i32, STATE, 0, selfId) === 0) return true
        continue
      }
      if (blocking && state === selfId) throw conmapError(ErrorCode.DEADLOCK, 'Once.do called from inside its own fn')
      const slice = sliceUntil(deadline)
      if (slice === undefined) throw lockTimeout(this.#registry, [state], began, 'fn did not finish in the thread running it')
      const outcome = yield step(i32, STATE, state, slice)
      if (outcome === 'timed-out' && !this.#registry.isAlive(state)) Atomics.compareExchange(i32, STATE, state, 0)
    }
  }
}
