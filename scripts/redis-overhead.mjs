// What RedisMap's atomicity costs, side by side on one redis-server started here (a free
// loopback port, no persistence): RedisMap get / set / update against raw node-redis
// HGET / HSET on one hash (update against an HGET then HSET, which is not atomic), with
// 1, 16 and 256 concurrent callers on one client (node-redis pipelines what they send in
// one tick). Rounds alternate raw and RedisMap; the medians of ops/s and of each round's
// p50 / p99 latency are printed with the ratio RedisMap / raw.
//
//   npm run build && node scripts/redis-overhead.mjs [--rounds 5] [--ops 4000]
import { performance } from 'node:perf_hooks'
import { createClient } from 'redis'
import { numberOption } from './options.mjs'

const ROUNDS = numberOption('--rounds', 5)
const OPS = numberOption('--ops', 4000)
const KEYS = 1000
const { startRedis } = await import(new URL('../dist/test/helpers/redis-servers.js', import.meta.url).href)
const { RedisMap } = await import(new URL('../dist/src/redis/index.js', import.meta.url).href)

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const quantile = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]

async function round(op, callers) {
  const latencies = []
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < OPS) {
        const i = next++
        const t0 = performance.now()
        await op(i % KEYS)
        latencies.push(performance.now() - t0)
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  return { opsPerSec: OPS / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
}

const server = await startRedis()
try {
  const client = await createClient({ url: server.url }).connect()
  const map = new RedisMap({ client, name: 'bench', codec: 'number' })
  const hash = 'raw-bench'
  const rawKeys = Array.from({ length: KEYS }, (_, i) => `k${i}`)
  await map.setMany(rawKeys.map((k, i) => [k, i]))
  await client.hSet(hash, Object.fromEntries(rawKeys.map((k, i) => [k, String(i)])))
  const pairs = {
    get: [(i) => client.hGet(hash, rawKeys[i]), (i) => map.get(rawKeys[i])],
    set: [(i) => client.hSet(hash, rawKeys[i], String(i)), (i) => map.set(rawKeys[i], i)],
    update: [
      async (i) => {
        const n = Number(await client.hGet(hash, rawKeys[i]))
        await client.hSet(hash, rawKeys[i], String(n + 1))
      },
      (i) => map.update(rawKeys[i], (n) => (n ?? 0) + 1),
    ],
  }
  console.log(`redis-server ${(await server.cli(['info', 'server'])).match(/redis_version:(\S+)/)?.[1]}, ${ROUNDS} rounds of ${OPS} ops, medians`)
  console.log('op      callers   raw ops/s  map ops/s  ratio   raw p50/p99 ms   map p50/p99 ms')
  for (const [name, [raw, mapped]] of Object.entries(pairs)) {
    for (const callers of [1, 16, 256]) {
      const runs = { raw: [], map: [] }
      for (let r = 0; r < ROUNDS; r++) {
        runs.raw.push(await round(raw, callers))
        runs.map.push(await round(mapped, callers))
      }
      const m = (side, field) => median(runs[side].map((x) => x[field]))
      console.log(
        `${name.padEnd(8)}${String(callers).padStart(7)}${m('raw', 'opsPerSec').toFixed(0).padStart(12)}${m('map', 'opsPerSec').toFixed(0).padStart(11)}` +
          `${(m('map', 'opsPerSec') / m('raw', 'opsPerSec')).toFixed(2).padStart(7)}` +
          `${`${m('raw', 'p50').toFixed(2)}/${m('raw', 'p99').toFixed(2)}`.padStart(17)}${`${m('map', 'p50').toFixed(2)}/${m('map', 'p99').toFixed(2)}`.padStart(17)}`,
      )
    }
  }
  await client.close()
} finally {
  await server.stop()
}
