/**
 * RedisMap.getOrComputeAsync: one computation per absent key across every client of the
 * map, with a lease for the deduplication and a conditional commit for the correctness
 * (Kleppmann's split: the lease is an efficiency lock, never trusted for safety).
 *
 *  - In one RedisMap object, callers of the same key join one flight (one promise).
 *  - A flight runs COMPUTE_BEGIN: the value if present; else it takes the key's lease
 *    (SET NX PX with a random token) and runs the factory, renewing the lease every
 *    lease/3 ms while it runs; else another client holds the lease, and it polls (5 ms
 *    doubling to 100 ms, never past the lease's remaining time) until the value appears or
 *    the lease is gone, which it then tries to take.
 *  - COMPUTE_COMMIT stores the value only if the key is still absent and releases the lease
 *    if it is still this token's. So at most one value is ever stored and every caller
 *    gets the stored one; a client paused past its lease (SIGSTOP, a long GC) can make the
 *    factory run twice, never store twice.
 *  - A rejection releases the lease and reaches this object's callers; other clients'
 *    waiters then take the lease and compute themselves.
 *  - options.signal ends one caller's wait; the factory's signal aborts when no caller
 *    of the flight is left, or when options.timeout passes (the callers then get
 *    ERR_COMPUTE_TIMEOUT and the lease is released).
 */
import { randomBytes } from 'node:crypto'
import type { Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { AsyncFactory } from '../map/compute-async.js'
import { lifeArg, type RedisContext } from './context.js'
import { COMPUTE_BEGIN, COMPUTE_COMMIT, LEASE_RELEASE, LEASE_RENEW } from './scripts.js'

export interface Flight {
  callers: number
  readonly controller: AbortController
  readonly outcome: Promise<unknown>
}

export interface ComputeRequest {
  readonly factory: AsyncFactory<Key, unknown>
  readonly ttl: number
  readonly lease: number
  readonly timeout: number | undefined
  readonly signal: AbortSignal | undefined
}

const POLL_MIN_MS = 5
const POLL_MAX_MS = 100

export function computeOnce(ctx: RedisContext, flights: Map<string, Flight>, key: Key, request: ComputeRequest): Promise<unknown> {
  const { bucket, field } = ctx.locate(key)
  const id = `${bucket.data}\0${field.toString('latin1')}`
  let flight = flights.get(id)
  if (flight === undefined) {
    const controller = new AbortController()
    const created: Flight = { callers: 0, controller, outcome: fly(ctx, key, request, controller.signal) }
    flight = created
    flights.set(id, created)
    const forget = () => {
      if (flights.get(id) === created) flights.delete(id)
    }
    created.outcome.then(forget, forget)
  }
  return join(flight, request.signal)
}

function join(flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
  flight.callers++
  const leave = () => {
    if (--flight.callers === 0) flight.controller.abort(signal?.reason)
  }
  if (signal === undefined) return flight.outcome.finally(() => flight.callers--)
  if (signal.aborted) {
    leave()
    return Promise.reject(signal.reason)
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      leave()
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    flight.outcome.then(
      (value) => (signal.removeEventListener('abort', onAbort), flight.callers--, resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), flight.callers--, reject(err)),
    )
  })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

async function fly(ctx: RedisContext, key: Key, request: ComputeRequest, signal: AbortSignal): Promise<unknown> {
  await ctx.ready()
  const { bucket, field } = ctx.locate(key)
  const leaseKey = Buffer.concat([Buffer.from(bucket.lease), field])
  const token = randomBytes(16).toString('hex')
  let poll = POLL_MIN_MS
  for (;;) {
    signal.throwIfAborted()
    const begun = (await ctx.run(COMPUTE_BEGIN, bucket, [field, token, String(request.lease)], [leaseKey])) as [number, (Buffer | number)?]
    if (begun[0] === 1) return ctx.decode(begun[1] as Buffer)
    if (begun[0] === 0) return computeHolding(ctx, key, request, signal, leaseKey, token)
    const remaining = typeof begun[1] === 'number' && begun[1] > 0 ? begun[1] : POLL_MIN_MS
    await sleep(Math.min(poll, remaining), signal)
    poll = Math.min(poll * 2, POLL_MAX_MS)
  }
}

/** Runs the factory holding the lease, then commits (or releases the lease on failure). */
async function computeHolding(ctx: RedisContext, key: Key, request: ComputeRequest, signal: AbortSignal, leaseKey: Buffer, token: string): Promise<unknown> {
  const { bucket, field } = ctx.locate(key)
  const controller = new AbortController()
  const abort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', abort, { once: true })
  const renew = setInterval(() => {
    // A failed renewal only risks a second computation elsewhere; the commit stays conditional.
    ctx.runKeys(LEASE_RENEW, [leaseKey], [token, String(request.lease)]).catch(() => undefined)
  }, Math.max(1, Math.floor(request.lease / 3)))
  let timer: NodeJS.Timeout | undefined
  try {
    const computing = Promise.resolve(request.factory(key, { signal: controller.signal }))
    const value = await (request.timeout === undefined
      ? computing
      : Promise.race([
          computing,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = conmapError(ErrorCode.COMPUTE_TIMEOUT, `getOrComputeAsync: the computation took longer than its timeout of ${request.timeout} ms`)
              controller.abort(err)
              reject(err)
            }, request.timeout)
          }),
        ]))
    signal.throwIfAborted()
    if (value === undefined) {
      await release(ctx, leaseKey, token)
      return undefined
    }
    const bytes = ctx.encode(value)
    const committed = (await ctx.run(COMPUTE_COMMIT, bucket, [field, token, bytes, lifeArg(request.ttl)], [leaseKey])) as [number, Buffer?]
    return committed[0] === 1 ? ctx.decode(committed[1] as Buffer) : value
  } catch (err) {
    await release(ctx, leaseKey, token)
    throw err
  } finally {
    clearInterval(renew)
    clearTimeout(timer)
    signal.removeEventListener('abort', abort)
  }
}

function release(ctx: RedisContext, leaseKey: Buffer, token: string): Promise<unknown> {
  // Best effort: a lease left behind expires by itself.
  return ctx.runKeys(LEASE_RELEASE, [leaseKey], [token]).catch(() => undefined)
}
