/**
 * Guards: a held lock as a value, for `using` / `await using` and try…finally.
 *
 * Seed 004's bugs are writes that outlive the lock: a timer or closure created
 * inside the critical section runs after the unlock and writes unprotected. A guard
 * is the capability to touch the guarded data: code that may run late calls
 * `guard.assertHeld()` (or does its work in `guard.run(fn)`) and gets
 * ERR_GUARD_RELEASED instead of a silent race. Release is idempotent, so `using`
 * plus an explicit early release never unlocks twice.
 */
import { conmapError, ErrorCode } from '../errors/index.js'

export class Guard implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined
  /**
   * True when the lock was taken over from a thread that died holding it (see
   * watch()): the data it guarded may be half-written; check or repair it.
   */
  readonly ownerDied: boolean

  constructor(release: () => void, ownerDied: boolean) {
    this.#release = release
    this.ownerDied = ownerDied
  }

  get released(): boolean {
    return this.#release === undefined
  }

  /** Releases the lock; later calls do nothing. */
  release(): void {
    const release = this.#release
    if (release === undefined) return
    this.#release = undefined
    release()
  }

  /** Throws ERR_GUARD_RELEASED once the lock has been released through this guard. */
  assertHeld(): void {
    if (this.#release === undefined) {
      throw conmapError(ErrorCode.GUARD_RELEASED, 'the lock behind this guard was already released: this code runs outside its critical section')
    }
  }

  /** Runs `fn` after checking the lock is still held through this guard. */
  run<T>(fn: () => T): T {
    this.assertHeld()
    return fn()
  }

  [Symbol.dispose](): void {
    this.release()
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release()
    return Promise.resolve()
  }
}
