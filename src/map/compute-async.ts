/**
 * getOrComputeAsync: one computation per absent key across all threads and async
 * tasks of a cache map; everyone else awaits it. The shared-memory side (pending
 * records, the flights word, kept failures) is in flight.ts.
 *
 * A call that finds the key absent publishes a pending record with a fresh token
 * and runs the factory; the thread's other callers of that key join its promise
 * (one attempt per thread and key), and callers in other threads join the attempt
 * in shared memory: they count themselves in its record and wait on the shard's
 * flights word with Atomics.waitAsync (no thread blocks), looking again at every
 * notification and at least every POLL_MS. When the attempt ends:
 *   - a value: the attempt that still owns the slot (same token) replaces its
 *     pending record with the entry (ttl as given), and everyone gets the value;
 *   - a rejection: it removes the record and leaves the error for the waiters it
 *     counted, who throw it; the next call computes again;
 *   - its lease lapsed (timeout) or its thread died (watch()): the first waiter to
 *     notice replaces the record with its own attempt and computes; the old
 *     attempt's result, if it comes, finds another token and is dropped. Its own
 *     callers get ERR_COMPUTE_TIMEOUT when the lease lapses.
 * A waiter's signal ends its own wait only. The factory's signal aborts when no
 * caller is left in any thread (its thread's callers gone, and the record counting
 * no other waiters), and when the lease lapses.
 */
import { keyKind, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { yieldPoint } from '../shared/yield-point.js'
import { untilAborted } from '../shared/abort.js'
import { selfId, ThreadRegistry } from '../sync/threads.js'
import { H, S } from './layout.js'
import type { MapCore } from './core.js'
import { deadlineAfter, expiredLocked } from './expiry.js'
import { reserveEntryLocked, withRoom } from './evict.js'
import { findKeyLocked, locateKeyLocked, nextToken, publishFlightLocked, recordStateLocked, slotStateLocked, storeFailureLocked, takeFailureLocked, type Slot } from './flight.js'
import { ABSENT } from './read.js'
import { Removal, unpublishLocked } from './remove.js'
import { putLocked } from './write.js'
import type { Encoded } from './values.js'

/** Waiters look again at least this often, for a dead computing thread or a lapsed lease. */
const POLL_MS = 50

export interface ComputeContext {
  /** Aborts when no caller waits for the value any more, or the attempt's timeout passes. */
  readonly signal: AbortSignal
}

export type AsyncFactory<K, V> = (key: K, context: ComputeContext) => V | PromiseLike<V>

export interface ComputeAsyncOptions {
  /** Ends this caller's wait (only its own: the computation goes on for the others). */
  readonly signal?: AbortSignal | undefined
  /** The stored value's time to live (as set()'s). */
  readonly ttl?: number | undefined
  /** ms an attempt may take: then its callers get ERR_COMPUTE_TIMEOUT and a waiter may take over. */
  readonly timeout?: number | undefined
}

type Outcome = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'error'; readonly error: unknown } | { readonly kind: 'retry' }

/** One thread's part in an attempt: its own computation, or its watch on another thread's. */
interface LocalFlight {
  readonly token: number
  readonly computing: boolean
  /** Aborts the factory (computing), or ends the watch (waiting). */
  readonly controller: AbortController
  callers: number
  outcome: Promise<Outcome>
}

/** This thread's flights, by map id (every SharedMap object of a map in the thread shares them) and key. */
const flightsOfMap = new Map<string, Map<Key, LocalFlight>>()

function flightsOf(core: MapCore): Map<Key, LocalFlight> {
  let flights = flightsOfMap.get(core.id)
  if (flights === undefined) {
    flights = new Map()
    flightsOfMap.set(core.id, flights)
  }
  return flights
}

function forget(core: MapCore, flights: Map<Key, LocalFlight>, key: Key, flight: LocalFlight): void {
  if (flights.get(key) === flight) flights.delete(key)
  if (flights.size === 0) flightsOfMap.delete(core.id)
}

/** The present value of a key (ABSENT if none), as get() reads it. */
export type Lookup = (key: Key) => unknown

export async function computeAsync(
  core: MapCore,
  key: Key,
  lookup: Lookup,
  factory: AsyncFactory<Key, unknown>,
  ttl: number,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const kind = keyKind(key)
  const shard = core.shardOf(core.hash(key, kind))
  const flights = flightsOf(core)
  const registry = ThreadRegistry.of(core.handle.registry)
  for (;;) {
    const shaken = yieldPoint('SharedMap.getOrComputeAsync')
    if (shaken !== undefined) await shaken
    signal?.throwIfAborted()
    const present = lookup(key)
    if (present !== ABSENT) return present
    let flight = flights.get(key)
    if (flight === undefined) {
      const decided = decide(core, shard, key, timeout, registry)
      if (decided.kind === 'value') return decided.value
      flight =
        decided.kind === 'join'
          ? watch(core, shard, key, decided.token, decided.seen, registry, flights)
          : run(core, shard, key, decided.token, factory, ttl, timeout, flights)
    }
    const outcome = await joinLocal(core, shard, key, flight, flights, signal)
    if (outcome.kind === 'value') return outcome.value
    if (outcome.kind === 'error') throw outcome.error
  }
}

type Decision = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'join'; readonly token: number; readonly seen: number } | { readonly kind: 'compute'; readonly token: number }

/** Under the key's shard: its value, an attempt to join, or a new attempt of this thread. */
function decide(core: MapCore, shard: number, key: Key, timeout: number | undefined, registry: ThreadRegistry): Decision {
  const fields = core.lockShard(shard)
  try {
    return core.changeLocked(fields, (): Decision => {
      const now = Date.now()
      const slot = locateKeyLocked(core, fields, key)
      const state = liveStateLocked(core, fields, slot, now)
      if (state.state === 'value') return { kind: 'value', value: core.values.finish(core.values.ofRecord(state.record)) }
      if (state.state === 'pending') {
        // A live attempt of this thread would be in its flights (computeAsync asks them
        // first): one found here lost its thread-local state, and is taken over too.
        if (state.owner !== selfId && !abandoned(state, registry, now)) {
          Atomics.add(core.arena.u32, state.waitersAt, 1)
          Atomics.add(core.arena.i32, H.JOINS, 1)
          return { kind: 'join', token: state.token, seen: Atomics.load(core.arena.i32, fields + S.FLIGHTS) }
        }
        unpublishLocked(core, fields, state.slot, Removal.deleted)
      }
      registry.enter()
      const token = nextToken(core)
      publishFlightLocked(core, fields, -1, key, selfId, token, timeout === undefined ? 0 : now + timeout)
      Atomics.add(core.arena.i32, H.COMPUTATIONS, 1)
      return { kind: 'compute', token }
    })
  } finally {
    core.unlockShard(shard)
  }
}

/** slotStateLocked(), with an expired entry removed (inside the caller's change) and absent. */
function liveStateLocked(core: MapCore, fields: number, slot: number, now: number): Slot {
  const state = slotStateLocked(core, slot)
  if (state.state !== 'value' || !expiredLocked(core.arena.u32, state.record, now)) return state
  unpublishLocked(core, fields, slot, Removal.expired)
  return { state: 'absent' }
}

function abandoned(state: Extract<Slot, { state: 'pending' }>, registry: ThreadRegistry, now: number): boolean {
  return !registry.isAlive(state.owner) || (state.lease !== 0 && now >= state.lease)
}

/** Starts this thread's attempt: the factory runs, and its end is installed in the map. */
function run(core: MapCore, shard: number, key: Key, token: number, factory: AsyncFactory<Key, unknown>, ttl: number, timeout: number | undefined, flights: Map<Key, LocalFlight>): LocalFlight {
  const flight: LocalFlight = { token, computing: true, controller: new AbortController(), callers: 0, outcome: Promise.resolve({ kind: 'retry' }) }
  flights.set(key, flight)
  flight.outcome = (async (): Promise<Outcome> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let timedOut = false
    try {
      const computing = Promise.resolve().then(() => factory(key, { signal: flight.controller.signal }))
      const lapsed = new Promise<never>((_, reject) => {
        if (timeout === undefined) return
        timer = setTimeout(() => {
          const err = conmapError(ErrorCode.COMPUTE_TIMEOUT, `getOrComputeAsync: the computation took longer than its timeout (${timeout} ms)`)
          timedOut = true
          flight.controller.abort(err)
          reject(err)
        }, timeout)
      })
      let value: unknown
      try {
        value = await Promise.race([computing, lapsed])
      } catch (error) {
        return settle(core, shard, key, token, { error, handOver: timedOut }, ttl)
      }
      return settle(core, shard, key, token, { value }, ttl)
    } finally {
      clearTimeout(timer)
      forget(core, flights, key, flight)
    }
  })()
  return flight
}

/** This thread's one watch on another thread's attempt, shared by its callers of the key. */
function watch(core: MapCore, shard: number, key: Key, token: number, seen: number, registry: ThreadRegistry, flights: Map<Key, LocalFlight>): LocalFlight {
  const controller = new AbortController()
  const flight: LocalFlight = { token, computing: false, controller, callers: 0, outcome: Promise.resolve({ kind: 'retry' }) }
  flights.set(key, flight)
  flight.outcome = waitRemote(core, shard, key, token, seen, registry, controller.signal).finally(() => forget(core, flights, key, flight))
  return flight
}

type Ending = { readonly value: unknown } | { readonly error: unknown; readonly handOver: boolean }

/**
 * Ends attempt `token`: installs its value (or, for a rejection, leaves the error for
 * its waiters) if its pending record is still in the slot; else its result is dropped
 * and its callers look again. A lapsed lease hands over: the record goes, no error
 * is kept, and the waiters take over.
 */
function settle(core: MapCore, shard: number, key: Key, token: number, ending: Ending, ttl: number): Outcome {
  let bytes: Encoded | undefined
  let end = ending
  if ('value' in end && end.value !== undefined) {
    try {
      bytes = core.encode(end.value)
    } catch (error) {
      end = { error, handOver: false }
    }
  }
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const mine = withRoom(core, () => {
    const fields = core.lockShard(shard)
    try {
      return core.changeLocked(fields, () => {
        const slot = locateKeyLocked(core, fields, key)
        const state = slotStateLocked(core, slot)
        if (state.state !== 'pending' || state.token !== token) return false
        // The place in the bound first: it may back out (evict.ts), and nothing is changed yet.
        if (bytes !== undefined && core.maxEntries !== 0) reserveEntryLocked(core, fields)
        const waiters = Atomics.load(core.arena.u32, state.waitersAt)
        unpublishLocked(core, fields, slot, Removal.deleted)
        if (bytes !== undefined) putLocked(core, fields, -1, key, kind, hash, bytes, deadlineAfter(ttl), true)
        else if ('error' in end && !end.handOver) storeFailureLocked(core, fields, token, waiters, end.error)
        return true
      })
    } finally {
      core.unlockShard(shard)
    }
  })
  if ('error' in end) return { kind: 'error', error: end.error }
  return mine ? { kind: 'value', value: end.value } : { kind: 'retry' }
}

/**
 * One of this thread's callers waits for its flight. The last to give up ends the
 * thread's part: a watch at once, its own computation once no other thread waits.
 */
async function joinLocal(core: MapCore, shard: number, key: Key, flight: LocalFlight, flights: Map<Key, LocalFlight>, signal: AbortSignal | undefined): Promise<Outcome> {
  flight.callers++
  try {
    return await untilAborted(flight.outcome, signal)
  } finally {
    flight.callers--
    if (flight.callers === 0 && signal?.aborted === true) {
      // Later callers start afresh rather than join what is being given up.
      forget(core, flights, key, flight)
      if (flight.computing) void abandonWhenAlone(core, shard, key, flight, signal.reason)
      else flight.controller.abort(signal.reason)
    }
  }
}

/** Aborts this thread's attempt, which none of its callers waits for, once no other thread's does either. */
async function abandonWhenAlone(core: MapCore, shard: number, key: Key, flight: LocalFlight, reason: unknown): Promise<void> {
  let settled = false
  void flight.outcome.then(() => (settled = true))
  while (!settled) {
    if (remoteWaiters(core, shard, key, flight.token) === 0) {
      flight.controller.abort(reason)
      return
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref())
  }
}

function remoteWaiters(core: MapCore, shard: number, key: Key, token: number): number {
  return core.withShard(shard, () => {
    const state = recordStateLocked(core, findKeyLocked(core, core.fieldsOf(shard), key))
    return state.state === 'pending' && state.token === token ? Atomics.load(core.arena.u32, state.waitersAt) : 0
  })
}

/**
 * A thread whose callers wait for another thread's attempt watches it in shared
 * memory (counted once in its record) until it ends or signal (all callers gone).
 */
async function waitRemote(core: MapCore, shard: number, key: Key, token: number, seen: number, registry: ThreadRegistry, signal: AbortSignal): Promise<Outcome> {
  const fields = core.fieldsOf(shard)
  let observed = seen
  for (;;) {
    const waiting = Atomics.waitAsync(core.arena.i32, fields + S.FLIGHTS, observed, POLL_MS)
    // A pending waitAsync does not keep the event loop alive: this timer does, so a
    // worker awaiting the value is not taken for idle and stopped meanwhile.
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      if (waiting.async) await untilAborted(Promise.race([waiting.value, new Promise((resolve) => (timer = setTimeout(resolve, POLL_MS)))]), signal)
      else signal.throwIfAborted()
    } catch (error) {
      leave(core, shard, key, token)
      return { kind: 'error', error }
    } finally {
      clearTimeout(timer)
    }
    const look = lookAgain(core, shard, key, token, registry)
    if (look.kind !== 'wait') return look
    observed = look.seen
  }
}

/** What a waiter of attempt `token` finds now: a value, the attempt's error, a reason to look again, or more waiting. */
function lookAgain(core: MapCore, shard: number, key: Key, token: number, registry: ThreadRegistry): Outcome | { readonly kind: 'wait'; readonly seen: number } {
  const fields = core.lockShard(shard)
  try {
    return core.changeLocked(fields, () => {
      const now = Date.now()
      const state = liveStateLocked(core, fields, locateKeyLocked(core, fields, key), now)
      if (state.state === 'value') return { kind: 'value', value: core.values.finish(core.values.ofRecord(state.record)) }
      if (state.state === 'pending' && state.token === token) {
        // Abandoned: the caller goes round again, and decide() takes it over.
        if (abandoned(state, registry, now)) return { kind: 'retry' }
        return { kind: 'wait', seen: Atomics.load(core.arena.i32, fields + S.FLIGHTS) }
      }
      const error = takeFailureLocked(core, fields, token)
      return error === undefined ? { kind: 'retry' } : { kind: 'error', error }
    })
  } finally {
    core.unlockShard(shard)
  }
}

/** A waiter gives up: one waiter fewer in the attempt's record, if it is still there. */
function leave(core: MapCore, shard: number, key: Key, token: number): void {
  core.withShard(shard, () => {
    const state = recordStateLocked(core, findKeyLocked(core, core.fieldsOf(shard), key))
    if (state.state === 'pending' && state.token === token) Atomics.sub(core.arena.u32, state.waitersAt, 1)
  })
}
