/**
 * conmap storm: many worker threads against one SharedMap, with fault injection
 * and linearizability checking (the seeds' `go test -race` + goroutine storm).
 *
 *   const report = await runStorm({ concurrency: 'sharded', workers: 4, duration: 5, check: true, kill: 2 })
 *   if (!report.ok) console.error(formatStormReport(report))
 *
 * How it fits together: options.ts validates; each worker (worker-loop.ts) runs a
 * seeded operation stream (op-stream.ts) writing unique values (values.ts) and
 * keeps counters, latency histograms (histogram.ts) and operation records in
 * shared memory (region.ts), so a killed worker loses nothing but the answer of
 * the call it died in. The parent (run.ts) starts workers, schedules kills, drains
 * the records into a bounded history (history-store.ts), and afterwards verifies
 * the map from a fresh thread (verify.ts, storm-probe.ts), the acknowledged writes
 * (acked-writes.ts) and linearizability (conmap/check), and reports (report.ts).
 *
 * runRedisStorm (redis/) storms a RedisMap on a real Redis server or cluster the same
 * way: worker threads, each on its own connection, recording, and the same checker.
 */
export { runStorm, type RunStormHooks, type StormProgress } from './run.js'
export { validateStormOptions, CONCURRENCIES, DEFAULTS, type StormInput, type StormOptions } from './options.js'
export { parseMix, formatMix, DEFAULT_MIX, STORM_OPS, type Mix, type StormOp } from './mix.js'
export { formatStormReport, type CacheReport, type Counterexample, type StormReport, type StormRunFigures } from './report.js'
export type { BufferGrowth } from './growth.js'
export type { LatencySummary } from './totals.js'
export { runStormWorker, type StormTarget } from './worker-loop.js'
export { runRedisStorm, type RunRedisStormHooks } from './redis/run.js'
export { validateRedisStormOptions, DEFAULT_REDIS_MIX, REDIS_CLIENTS, REDIS_DEFAULTS, type RedisClientKind, type RedisStormInput, type RedisStormOptions } from './redis/options.js'
export { formatRedisStormReport, type RedisStormReport } from './redis/report.js'
