/**
 * Singleflight: Go's x/sync/singleflight for the async tasks of one thread, with
 * the cancellation rules Go's lacks.
 *
 * A flight is one call of fn for a key; callers that come while it runs join it
 * and get its value or its error. Each caller's own signal ends only its own wait.
 * fn's signal aborts when the last waiter has left (tailscale's rule), and the
 * abandoned flight is dropped from the table at that moment, so a caller that
 * comes later starts a fresh flight instead of joining one that is being given up
 * (tailscale#18919). A flight whose waiters all left can still settle later; only
 * the flight still in the table is removed then, never a newer one for the key.
 *
 * SharedMap's getOrComputeAsync (src/map/compute-async.ts) is the same across
 * threads: its callers leave a wait the same way (untilAborted, src/shared/abort.ts),
 * but it counts them interleaved with waiters in shared memory, so the counting
 * is its own.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { yieldPoint } from '../shared/yield-point.js'
import { untilAborted } from '../shared/abort.js'

/** What a caller of Singleflight.do gets. */
export interface FlightResult<V> {
  /** What fn resolved to. */
  readonly value: V
  /** True when the value went to more than one caller. */
  readonly shared: boolean
}

/** Options of Singleflight.do. */
export interface FlightOptions {
  /**
   * Ends this caller's wait only: it rejects with `signal.reason`; the flight goes
   * on for the others (and is aborted once no caller is left).
   * @default none
   */
  readonly signal?: AbortSignal | undefined
}

type Ending<V> = { readonly ok: true; readonly value: V; readonly receivers: number } | { readonly ok: false; readonly error: unknown }

interface Flight<V> {
  readonly controller: AbortController
  waiters: number
  readonly ending: Promise<Ending<V>>
}

/**
 * One call of fn per key at a time: callers of a key whose call is running wait
 * for it and share its outcome.
 *
 * Across threads, the same thing is SharedMap's `getOrComputeAsync`, which also
 * stores the value in the map.
 *
 * @example
 * ```ts
 * const flights = new Singleflight<string, User>()
 * const { value, shared } = await flights.do('user:1', (signal) => fetchUser('user:1', signal), { signal })
 * ```
 */
export class Singleflight<K, V> {
  readonly #flights = new Map<K, Flight<V>>()

  /**
   * Calls fn for key, or joins the call for key that is running, and returns its
   * value. fn is called at once (synchronously) by the first caller; its signal
   * aborts when every caller of the flight has left (each with its own signal), and
   * the flight is then dropped so that the next caller calls fn afresh. A flight
   * that ended (either way) is gone: nothing is cached.
   * @throws whatever fn throws or rejects with, to every caller of the flight;
   *   `options.signal.reason` to a caller whose signal aborts (an aborted signal
   *   rejects before joining or calling anything)
   * @example
   * ```ts
   * const { value } = await flights.do(id, async (signal) => {
   *   const res = await fetch(`/users/${id}`, { signal })
   *   return res.json()
   * }, { signal: AbortSignal.timeout(2_000) })
   * ```
   */
  async do(key: K, fn: (signal: AbortSignal) => V | PromiseLike<V>, options?: FlightOptions): Promise<FlightResult<V>> {
    const signal = options?.signal
    signal?.throwIfAborted()
    if (typeof fn !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, `Singleflight.do: fn must be a function, got ${typeof fn}`)
    const shaken = yieldPoint('Singleflight.do')
    if (shaken !== undefined) {
      await shaken
      signal?.throwIfAborted()
    }
    const flight = this.#flights.get(key) ?? this.#start(key, fn)
    flight.waiters++
    const ending = await this.#wait(key, flight, signal)
    const delivered = yieldPoint('Singleflight.result')
    if (delivered !== undefined) await delivered
    if (!ending.ok) throw ending.error
    return { value: ending.value, shared: ending.receivers > 1 }
  }

  /**
   * Forgets the flight of key: callers that come later call fn afresh, while those
   * already waiting still get the running call's outcome. Returns whether there was one.
   * @example
   * ```ts
   * flights.forget('user:1')   // the user just changed: do not join the fetch already running
   * ```
   */
  forget(key: K): boolean {
    return this.#flights.delete(key)
  }

  /**
   * How many flights are running and joinable now (abandoned and forgotten ones are not counted).
   * @example
   * ```ts
   * metrics.gauge('flights', flights.size)
   * ```
   */
  get size(): number {
    return this.#flights.size
  }

  #start(key: K, fn: (signal: AbortSignal) => V | PromiseLike<V>): Flight<V> {
    const controller = new AbortController()
    let call!: () => void
    const called = new Promise<V>((resolve, reject) => {
      call = () => {
        try {
          resolve(fn(controller.signal))
        } catch (error) {
          reject(error)
        }
      }
    })
    const flight: Flight<V> = {
      controller,
      waiters: 0,
      ending: called.then(
        (value): Ending<V> => ({ ok: true, value, receivers: flight.waiters }),
        (error: unknown): Ending<V> => ({ ok: false, error }),
      ),
    }
    void flight.ending.then(() => this.#drop(key, flight))
    // In the table, its ending ready, before fn runs: a fn that calls do() for its own key joins itself.
    this.#flights.set(key, flight)
    call()
    return flight
  }

  #wait(key: K, flight: Flight<V>, signal: AbortSignal | undefined): Promise<Ending<V>> {
    return untilAborted(flight.ending, signal, (reason) => {
      flight.waiters--
      if (flight.waiters === 0) {
        this.#drop(key, flight)
        flight.controller.abort(reason)
      }
    })
  }

  #drop(key: K, flight: Flight<V>): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key)
  }
}
