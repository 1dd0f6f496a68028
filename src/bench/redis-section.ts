/**
 * The Redis section (issue 13): what RedisMap's atomicity costs over the same commands
 * sent bare. One redis-server of our own (redis-server.ts), and on it, side by side:
 * RedisMap get / set / update (one Lua script each, plus the codec; update is a read
 * and a compare-and-set script) on node-redis and on ioredis, raw node-redis HGET / HSET
 * (update: HGET then HSET, the non-atomic baseline), and redis-benchmark's HGET / HSET.
 *
 * `callers` async tasks share one connection, each awaiting its call before the next,
 * so up to `callers` calls are in flight at once: the clients pipeline them on the
 * socket. Task t visits keys t, t + callers, ... of a key space that callers divides,
 * so no two tasks touch one key: update never retries, and its counters must sum to
 * the updates made. Each round runs every cell with the contenders' order reversed
 * every other round; a figure is the median over rounds.
 */
import { execFile } from 'node:child_process'
import { RedisMap } from '../redis/index.js'
import type { RedisPlan } from './plan.js'
import { REDIS_CONTENDERS, REDIS_OPS, type RedisContender, type RedisOp, type RedisRow, type RedisSection } from './redis-result.js'
import { LOOPBACK, onPath, startBenchRedis, type BenchRedis } from './redis-server.js'
import type { Progress } from './section.js'
import { median, newHistogram, percentile, record } from './stats.js'

const LABELS: Readonly<Record<RedisContender, string>> = {
  redismap: 'RedisMap (node-redis)',
  raw: 'raw node-redis HGET/HSET',
  'redismap-ioredis': 'RedisMap (ioredis)',
  'redis-benchmark': 'redis-benchmark',
}

interface Sample {
  readonly opsPerSec: number
  readonly p50Ns: number
  readonly p99Ns: number
}

/** One contender's calls on key index i, and the state each op starts from. */
interface Calls {
  prepare(op: RedisOp, keys: number): Promise<void>
  call(op: RedisOp, i: number): Promise<void>
  /** The sum of the update counters, to check against the updates made. */
  updates(): Promise<number>
  close(): Promise<void>
}

interface Quit {
  quit?(): Promise<unknown>
  close?(): Promise<unknown>
}

const field = (i: number) => `k${i}`

async function mapCalls(client: unknown, closeClient: () => Promise<void>, name: string): Promise<Calls> {
  const map = new RedisMap<string, number>({ client, name })
  const check = (value: number | undefined, i: number) => {
    if (value !== i) throw new Error(`RedisMap get ${field(i)} returned ${String(value)}, not ${i}`)
  }
  return {
    async prepare(op, keys) {
      await map.clear()
      if (op === 'get') await map.setMany(Array.from({ length: keys }, (_, i) => [field(i), i] as const))
    },
    async call(op, i) {
      if (op === 'get') check(await map.get(field(i)), i)
      else if (op === 'set') await map.set(field(i), i)
      else await map.update(field(i), (n) => (n ?? 0) + 1)
    },
    async updates() {
      let sum = 0
      for await (const n of map.values()) sum += n
      return sum
    },
    close: closeClient,
  }
}

interface NodeRedis {
  hGet(key: string, field: string): Promise<string | null>
  hSet(key: string, field: string | Record<string, string>, value?: string): Promise<number>
  hVals(key: string): Promise<string[]>
  del(key: string): Promise<number>
}

function rawCalls(client: NodeRedis, closeClient: () => Promise<void>): Calls {
  const hash = 'bench:raw'
  return {
    async prepare(op, keys) {
      await client.del(hash)
      if (op === 'get') await client.hSet(hash, Object.fromEntries(Array.from({ length: keys }, (_, i) => [field(i), String(i)])))
    },
    async call(op, i) {
      if (op === 'get') {
        const value = await client.hGet(hash, field(i))
        if (value !== String(i)) throw new Error(`HGET ${field(i)} returned ${String(value)}, not ${i}`)
      } else if (op === 'set') await client.hSet(hash, field(i), String(i))
      else await client.hSet(hash, field(i), String(Number((await client.hGet(hash, field(i))) ?? 0) + 1))
    },
    async updates() {
      return (await client.hVals(hash)).reduce((sum, v) => sum + Number(v), 0)
    },
    close: closeClient,
  }
}

async function connectNodeRedis(url: string): Promise<{ client: NodeRedis & Quit; close: () => Promise<void> }> {
  const { createClient } = (await import('redis')) as { createClient: (o: { url: string }) => NodeRedis & Quit & { connect(): Promise<unknown> } }
  const client = createClient({ url })
  await client.connect()
  return { client, close: async () => void (await (client.close ?? client.quit)?.call(client)) }
}

/** ioredis when installed, made as RedisMap asks (no resend of an unanswered write); else undefined. */
async function connectIoredis(port: number): Promise<{ client: Quit; close: () => Promise<void> } | undefined> {
  let mod: { Redis: new (o: object) => Quit & { connect(): Promise<unknown> } }
  try {
    mod = (await import('ioredis')) as typeof mod
  } catch {
    return undefined
  }
  const client = new mod.Redis({ host: LOOPBACK, port, lazyConnect: true, autoResendUnfulfilledCommands: false })
  await client.connect()
  return { client, close: async () => void (await client.quit?.()) }
}

async function importable(name: string): Promise<boolean> {
  try {
    await import(name)
    return true
  } catch {
    return false
  }
}

/** `callers` tasks calling for windowMs; every call timed on its own. */
async function measure(calls: Calls, op: RedisOp, callers: number, keys: number, windowMs: number): Promise<Sample> {
  const histogram = newHistogram()
  let ops = 0
  const began = performance.now()
  const deadline = began + windowMs
  await Promise.all(
    Array.from({ length: callers }, async (_, task) => {
      for (let step = 0; performance.now() < deadline; step++) {
        const t0 = performance.now()
        await calls.call(op, (task + step * callers) % keys)
        record(histogram, (performance.now() - t0) * 1e6)
        ops++
      }
    }),
  )
  const seconds = (performance.now() - began) / 1000
  if (op === 'update') {
    const sum = await calls.updates()
    if (sum !== ops) throw new Error(`update counters sum to ${sum}, not the ${ops} updates made`)
  }
  return { opsPerSec: ops / seconds, p50Ns: percentile(histogram, 0.5) ?? 0, p99Ns: percentile(histogram, 0.99) ?? 0 }
}

function runTool(binary: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`redis-benchmark ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)))
  })
}

/** redis-benchmark --csv: one line per command, `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`. */
export function parseBenchmarkCsv(csv: string): Sample {
  const line = csv.trim().split('\n').find((l) => !l.startsWith('"test"'))
  const cells = line?.match(/"([^"]*)"/g)?.map((c) => Number(c.slice(1, -1)))
  const [rps, p50, p99] = [cells?.[1], cells?.[4], cells?.[6]]
  if (rps === undefined || p50 === undefined || p99 === undefined || ![rps, p50, p99].every((n) => Number.isFinite(n) && n > 0)) throw new Error(`redis-benchmark printed no figures: ${csv}`)
  return { opsPerSec: rps, p50Ns: p50 * 1e6, p99Ns: p99 * 1e6 }
}

/** HGET / HSET over the same key count; fields are redis-benchmark's 12-digit __rand_int__. */
async function benchmarkTool(binary: string, port: number, op: RedisOp, callers: number, plan: RedisPlan): Promise<Sample> {
  const command = op === 'get' ? ['HGET', 'bench:tool', 'f:__rand_int__'] : ['HSET', 'bench:tool', 'f:__rand_int__', 'v']
  const args = ['-h', LOOPBACK, '-p', String(port), '--csv', '-n', String(plan.benchmarkRequests), '-c', String(callers), '-r', String(plan.keys), ...command]
  return parseBenchmarkCsv(await runTool(binary, args))
}

interface Cell {
  readonly op: RedisOp
  readonly callers: number
  readonly contender: RedisContender
}

export async function runRedisSection(plan: RedisPlan, progress: Progress): Promise<RedisSection> {
  const serverBinary = process.env.CONMAP_REDIS_SERVER || onPath('redis-server')
  if (serverBinary === undefined) return { skipped: 'no redis-server on PATH (apt-get install redis-server redis-tools): the Redis section did not run', rows: [], notes: [] }
  if (!(await importable('redis'))) return { skipped: 'node-redis is not installed (npm i -D redis): the Redis section did not run', rows: [], notes: [] }
  const toolBinary = onPath('redis-benchmark')
  const server = await startBenchRedis(serverBinary)
  const opened: Calls[] = []
  try {
    return await measureAll(plan, progress, server, toolBinary, serverBinary, opened)
  } finally {
    await Promise.allSettled(opened.map((c) => c.close()))
    await server.stop()
  }
}

async function measureAll(plan: RedisPlan, progress: Progress, server: BenchRedis, toolBinary: string | undefined, serverBinary: string, opened: Calls[]): Promise<RedisSection> {
  const version = (await runTool(serverBinary, ['--version'])).trim()
  const nodeMap = await connectNodeRedis(server.url)
  const contenders = new Map<RedisContender, Calls>([['redismap', await mapCalls(nodeMap.client, nodeMap.close, 'bench:node')]])
  const nodeRaw = await connectNodeRedis(server.url)
  contenders.set('raw', rawCalls(nodeRaw.client, nodeRaw.close))
  const io = await connectIoredis(server.port)
  if (io !== undefined) contenders.set('redismap-ioredis', await mapCalls(io.client, io.close, 'bench:io'))
  opened.push(...contenders.values())
  if (toolBinary !== undefined) {
    await nodeRaw.client.hSet('bench:tool', Object.fromEntries(Array.from({ length: plan.keys }, (_, i) => [`f:${String(i).padStart(12, '0')}`, 'v'])))
  }
  const present = REDIS_CONTENDERS.filter((c) => contenders.has(c) || (c === 'redis-benchmark' && toolBinary !== undefined))
  const cells: Cell[] = REDIS_OPS.flatMap((op) => plan.callers.flatMap((callers) => present.filter((c) => c !== 'redis-benchmark' || op !== 'update').map((contender) => ({ op, callers, contender }))))
  const key = (c: Cell) => `${c.op}/${c.callers}/${c.contender}`
  const samples = new Map<string, (Sample | undefined)[]>()
  const errors = new Map<string, string>()

  const run = async (cell: Cell, windowMs: number): Promise<Sample> => {
    if (cell.contender === 'redis-benchmark') return benchmarkTool(toolBinary as string, server.port, cell.op, cell.callers, plan)
    const calls = contenders.get(cell.contender) as Calls
    await calls.prepare(cell.op, plan.keys)
    return measure(calls, cell.op, cell.callers, plan.keys, windowMs)
  }
  progress('redis: warm-up')
  for (const cell of cells) {
    if (cell.contender === 'redis-benchmark') continue
    try {
      await run(cell, plan.warmupMs)
    } catch (err) {
      errors.set(key(cell), err instanceof Error ? err.message : String(err))
    }
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (const op of REDIS_OPS) {
      for (const callers of plan.callers) {
        const group = cells.filter((c) => c.op === op && c.callers === callers)
        for (const cell of round % 2 === 0 ? group : [...group].reverse()) {
          if (errors.has(key(cell))) continue
          progress(`redis: round ${round + 1}/${plan.rounds}, ${op} at ${callers} callers, ${LABELS[cell.contender]}`)
          try {
            const mine = samples.get(key(cell)) ?? []
            mine[round] = await run(cell, plan.windowMs)
            samples.set(key(cell), mine)
          } catch (err) {
            errors.set(key(cell), err instanceof Error ? err.message : String(err))
          }
        }
      }
    }
  }
  const rows = cells.map((cell): RedisRow => {
    const error = errors.get(key(cell))
    const mine = error === undefined ? (samples.get(key(cell)) ?? []) : []
    const raw = samples.get(key({ ...cell, contender: 'raw' })) ?? []
    const of = (pick: (s: Sample) => number) => {
      const values = mine.flatMap((s) => (s === undefined ? [] : [pick(s)]))
      return values.length === 0 ? null : median(values)
    }
    const costs = mine.flatMap((s, round) => {
      const base = raw[round]
      return s === undefined || base === undefined || cell.contender === 'raw' ? [] : [base.opsPerSec / s.opsPerSec]
    })
    return {
      op: cell.op,
      callers: cell.callers,
      contender: cell.contender,
      label: LABELS[cell.contender],
      opsPerSec: of((s) => s.opsPerSec),
      p50Ns: of((s) => s.p50Ns),
      p99Ns: of((s) => s.p99Ns),
      costVsRaw: costs.length === 0 ? null : median(costs),
      rounds: mine.filter((s) => s !== undefined).length,
      ...(error === undefined ? {} : { error }),
    }
  })
  return { server: version, rows, notes: notes(plan, io !== undefined, toolBinary !== undefined) }
}

function notes(plan: RedisPlan, ioredis: boolean, tool: boolean): string[] {
  return [
    `One redis-server of the bench's own (loopback, no persistence), shared by every contender; ${plan.keys.toLocaleString('en-US')} keys in one hash per contender (RedisMap: buckets: 1, the standalone layout), ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} of a ${plan.windowMs} ms window per cell after a ${plan.warmupMs} ms warm-up, contenders in the same round in an order reversed every other round; figures are medians over rounds.`,
    "Callers: that many async tasks on one connection, each awaiting its call before its next, so that many calls are in flight and the client pipelines them. Each call is timed alone (p50/p99 per call, client side, including the event loop's queueing at 256 callers). No two tasks share a key.",
    "RedisMap get and set are one EVALSHA each plus the structured codec (get's script checks the entry is live; set's also sweeps expired entries and gives the key its bucket's next version); update is a read script, fn here, then a compare-and-set script (two round trips, atomic: a lost race retries). Raw update is HGET then HSET: also two round trips, but not atomic (two concurrent updaters of one key can lose one increment), the baseline for what the compare-and-set adds. Update counters are summed afterwards and must equal the updates made.",
    "'x raw' is the time per call over raw node-redis's in the same round (raw ops/s ÷ the row's ops/s), median over rounds: what conmap's scripts and codec cost over the bare command.",
    tool
      ? `redis-benchmark runs HGET / HSET with -c callers connections (one call in flight on each, no -P), -n ${plan.benchmarkRequests.toLocaleString('en-US')} -r ${plan.keys}, on the same server in the same rounds: the server's and a C client's ceiling, not a like-for-like client (its latencies are its own, server round trip only).`
      : 'redis-benchmark is not on PATH (apt-get install redis-tools): its rows are skipped.',
    ...(ioredis ? [] : ['ioredis is not installed: the RedisMap (ioredis) rows are skipped (npm i -D ioredis).']),
  ]
}

export function redisOk(section: RedisSection): boolean {
  return section.rows.every((r) => r.error === undefined)
}
