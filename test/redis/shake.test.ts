// Schedule shaking of RedisMap round trips ('RedisMap.roundTrip'): a racy get/await/set
// program that passes every quiet run over a real redis-server is caught by shakeRuns
// in a few seeds, its seed replays it with the same decisions, and the program fixed
// with update() passes the same seeds.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisMap } from '../../src/redis/index.js'
import { shakeRuns, ShakeFailure } from '../../src/test-kit/index.js'
import { startRedis, type RedisServer } from '../helpers/redis-servers.js'
import { connect, type Connected } from './clients.js'

const LIMIT = { timeout: 60_000 }
const SHAKE = { probability: 0.5, maxTurns: 4 } as const

let server: RedisServer
let conn: Connected
let maps = 0

before(async () => {
  server = await startRedis()
  conn = await connect('node-redis', server)
  // The server learns every script here: a first EVALSHA answered NOSCRIPT is sent again
  // (EVAL), a second round trip that would reorder the program's requests by itself.
  const warm = new RedisMap<string, number>({ client: conn.client, name: 'warm' })
  await warm.set('k', 1)
  await warm.get('k')
  await warm.update('k', (n) => (n ?? 0) + 1)
})

after(async () => {
  await conn.close()
  await server.stop()
})

/**
 * Two increments of one counter. The second starts reading once the first has sent its
 * write, so on one connection its read comes after that write, in every quiet run. Racy:
 * nothing but the order of sends keeps them apart, and a write whose round trip leaves
 * late (a slow network; the shaker) is overtaken by the second read. Fixed: update().
 */
async function increments(fixed: boolean): Promise<void> {
  const map = new RedisMap<string, number>({ client: conn.client, name: `shake-${maps++}` })
  let sent: () => void = () => undefined
  const firstSent = new Promise<void>((resolve) => (sent = resolve))
  const racy = async (signal?: () => void): Promise<void> => {
    const n = (await map.get('hits')) ?? 0
    const write = map.set('hits', n + 1)
    signal?.()
    await write
  }
  const safe = async (signal?: () => void): Promise<void> => {
    const write = map.update('hits', (n) => (n ?? 0) + 1)
    signal?.()
    await write
  }
  const increment = fixed ? safe : racy
  await Promise.all([increment(sent), firstSent.then(() => increment())])
  assert.equal(await map.get('hits'), 2, `hits counted ${String(await map.get('hits'))} of 2 increments`)
}

test('a racy get/await/set over RedisMap passes quiet runs, is caught by shakeRuns in a few seeds, and its seed replays', LIMIT, async () => {
  for (let run = 0; run < 20; run++) await increments(false)
  let failure: ShakeFailure | undefined
  await shakeRuns(() => increments(false), { seed: 1, runs: 20, ...SHAKE }).catch((err: unknown) => {
    failure = err as ShakeFailure
  })
  assert.ok(failure instanceof ShakeFailure, 'the shaker caught the race')
  assert.ok(failure.run <= 20)
  assert.match(failure.message, /hits counted 1 of 2/)
  assert.ok(failure.decisions.some((d) => d.site === 'RedisMap.roundTrip' && d.delay !== undefined))
  assert.ok(failure.decisions.every((d) => d.site === 'RedisMap.roundTrip'))
  for (let replay = 0; replay < 3; replay++) {
    const again: ShakeFailure | undefined = await shakeRuns(() => increments(false), { seed: failure.seed, runs: 1, ...SHAKE }).then(
      () => undefined,
      (err: unknown) => err as ShakeFailure,
    )
    assert.ok(again instanceof ShakeFailure, `replay ${replay + 1} of seed ${failure.seed} failed again`)
    assert.deepEqual(again.decisions, failure.decisions, 'with the same decisions')
  }
})

test('the same program with update() passes the same seeds', LIMIT, async () => {
  const summary = await shakeRuns(() => increments(true), { seed: 1, runs: 20, ...SHAKE })
  assert.equal(summary.seeds.length, 20)
  assert.ok(summary.delayed > 0, `${summary.delayed} of ${summary.points} points delayed`)
})
