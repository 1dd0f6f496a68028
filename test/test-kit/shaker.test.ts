// conmap/test's schedule shaker: a check-then-act race across await that passes every
// quiet run is caught within a few seeds, the failure names its seed, replaying the
// seed fails again with the same decisions, and the fixed program passes every seed.
// The shaker reaches every yield point of conmap's async APIs, draws the same
// decisions from the same seed, and is gone once stopped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as turn } from 'node:timers/promises'
import { KeyedMutex, SharedKeyedMutex, SharedMap, Singleflight } from '../../src/index.js'
import { shake, shakeRuns, ShakeFailure, type ShakeDecision } from '../../src/test-kit/index.js'
import { YIELD_SITES, yieldPoint } from '../../src/shared/yield-point.js'
import { withCode } from '../helpers/workers.js'

const LIMIT = { timeout: 120_000 }

/**
 * Two users book one seat, the second a turn of the event loop after the first.
 * Racy: the seat is checked before the lock is taken, so a late grant lets both in.
 * Fixed: the check is inside the lock.
 */
async function bookings(fixed: boolean): Promise<void> {
  const seats = new Map<string, string>()
  const locks = new KeyedMutex<string>()
  const racy = async (seat: string, user: string): Promise<boolean> => {
    if (seats.has(seat)) return false
    await locks.runExclusive(seat, () => seats.set(seat, user))
    return true
  }
  const safe = (seat: string, user: string): Promise<boolean> =>
    locks.runExclusive(seat, () => {
      if (seats.has(seat)) return false
      seats.set(seat, user)
      return true
    })
  const book = fixed ? safe : racy
  const ann = book('12A', 'ann')
  await turn()
  const bob = book('12A', 'bob')
  const won = (await Promise.all([ann, bob])).filter(Boolean).length
  assert.equal(won, 1, `seat 12A was booked ${won} times (now ${seats.get('12A')})`)
}

test('the racy booking passes every quiet run, fails within 50 shaken seeds, and its seed fails again on replay', LIMIT, async () => {
  for (let run = 0; run < 50; run++) await bookings(false)
  let failure: ShakeFailure | undefined
  await shakeRuns(() => bookings(false), { seed: 1, runs: 50, probability: 0.5, maxTurns: 2 }).catch((err: unknown) => {
    failure = err as ShakeFailure
  })
  assert.ok(failure instanceof ShakeFailure, 'the shaker caught the race')
  assert.ok(failure.seed >= 1 && failure.seed <= 50 && failure.run === failure.seed)
  assert.match(failure.message, new RegExp(`seed ${failure.seed} \\(run ${failure.run} of 50`))
  assert.match(failure.message, /booked 2 times/)
  assert.match(failure.message, new RegExp(`replay it: shakeRuns\\(fn, \\{ seed: ${failure.seed}, runs: 1 \\}\\)`))
  assert.ok(failure.cause instanceof assert.AssertionError)
  for (let replay = 0; replay < 3; replay++) {
    const again: ShakeFailure | undefined = await shakeRuns(() => bookings(false), { seed: failure.seed, runs: 1, probability: 0.5, maxTurns: 2 }).then(
      () => undefined,
      (err: unknown) => err as ShakeFailure,
    )
    assert.ok(again instanceof ShakeFailure, `replay ${replay + 1} of seed ${failure.seed} failed again`)
    assert.deepEqual(again.decisions, failure.decisions, 'with the same decisions')
  }
})

test('the fixed booking passes 200 shaken seeds', LIMIT, async () => {
  const summary = await shakeRuns(() => bookings(true), { seed: 1, runs: 200, probability: 0.5, maxTurns: 2 })
  assert.equal(summary.seeds.length, 200)
  assert.ok(summary.delayed > 0 && summary.delayed < summary.points, `${summary.delayed} of ${summary.points} points delayed`)
})

/** Meets every kind of yield point: lock requests and grants, flight joins and results, getOrComputeAsync. */
async function everySite(): Promise<void> {
  const locks = new KeyedMutex<string>()
  // One stripe: with more, which keys share a stripe follows the mutex's random hash seed, and so would the schedule.
  const shared = new SharedKeyedMutex<string>({ stripes: 1 })
  const flights = new Singleflight<string, number>()
  const cache = new SharedMap<string, number>({ codec: 'number', ttl: Infinity })
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => locks.runExclusive(`k${i % 3}`, () => turn())),
    ...Array.from({ length: 10 }, (_, i) => shared.runExclusive(`k${i % 3}`, () => turn())),
    ...Array.from({ length: 10 }, () => flights.do('f', async () => 1)),
    ...Array.from({ length: 4 }, () => cache.getOrComputeAsync('c', async () => 2)),
  ])
}

test('the same seed draws the same decisions; another seed others; every yield site is met', LIMIT, async () => {
  const decisionsOf = async (seed: number): Promise<readonly ShakeDecision[]> => {
    using shaker = shake({ seed, probability: 0.5, maxTurns: 2 })
    await everySite()
    return shaker.decisions
  }
  const first = await decisionsOf(7)
  assert.deepEqual(await decisionsOf(7), first)
  assert.notDeepEqual(await decisionsOf(8), first)
  // Every site but RedisMap's round trip, which needs a server (test/redis/shake.test.ts): a new site fails here until everySite() meets it.
  assert.deepEqual(new Set(first.map((decision) => decision.site)), new Set(YIELD_SITES.filter((site) => site !== 'RedisMap.roundTrip')))
  assert.ok(first.every((d) => d.delay === undefined || (Number.isInteger(d.delay) && d.delay >= 1 && d.delay <= 2)))
})

test('sites limits the shaking; probability 0 delays nothing; stop() removes the shaker; one shaker per thread', LIMIT, async () => {
  {
    using shaker = shake({ seed: 3, sites: ['Singleflight.do'] })
    await everySite()
    assert.ok(shaker.decisions.length > 0 && shaker.decisions.every((decision) => decision.site === 'Singleflight.do'))
    assert.throws(() => shake(), withCode('ERR_INVALID_ARGUMENT'))
    await assert.rejects(shakeRuns(() => undefined), withCode('ERR_INVALID_ARGUMENT'))
  }
  assert.equal(yieldPoint('KeyedMutex.lock'), undefined, 'disposed: no hook left')
  const quiet = shake({ probability: 0 })
  await everySite()
  assert.ok(quiet.decisions.length > 0 && quiet.decisions.every((decision) => decision.delay === undefined))
  quiet.stop()
  quiet.stop()
  assert.equal(yieldPoint('KeyedMutex.lock'), undefined)
})

test('bad options are refused with ERR_INVALID_ARGUMENT, and nothing is installed', async () => {
  for (const options of [{ seed: -1 }, { seed: 1.5 }, { seed: 2 ** 32 }, { probability: 2 }, { probability: Number.NaN }, { maxTurns: 0 }, { maxTurns: 1.5 }, { sites: ['nowhere'] }, { sites: 'KeyedMutex.lock' }]) {
    assert.throws(() => shake(options as never), withCode('ERR_INVALID_ARGUMENT'), JSON.stringify(options))
  }
  await assert.rejects(shakeRuns(() => undefined, { runs: 0 }), withCode('ERR_INVALID_ARGUMENT'))
  await assert.rejects(shakeRuns('no' as never), withCode('ERR_INVALID_ARGUMENT'))
  assert.equal(yieldPoint('KeyedMutex.lock'), undefined)
})

test("'conmap/test' is the package's subpath export of these helpers", async () => {
  const name = 'conmap/test'
  const kit = (await import(name)) as typeof import('../../src/test-kit/index.js')
  assert.equal(kit.shake, shake)
  assert.equal(kit.ShakeFailure, ShakeFailure)
})
