// Recorded concurrent histories of RedisMap calls for the linearizability checker
// (conmap/check), through the Redis storm's recorder (src/storm/redis/record.ts):
// several maps (each on its own connection), a few async callers on each, every
// operation the checker models on a few keys. A call that rejected (ERR_REDIS_INDETERMINATE
// among others) is recorded as pending.
import type { Operation } from '../../src/check/index.js'
import { parseMix } from '../../src/storm/mix.js'
import { DEFAULT_REDIS_MIX } from '../../src/storm/redis/options.js'
import { recordCalls, type AsyncStormTarget } from '../../src/storm/redis/record.js'

const KEYS = 4

export async function recordHistory(maps: readonly AsyncStormTarget[], tasksPerMap: number, opsPerTask: number, seed: number): Promise<Operation[]> {
  const mix = parseMix(DEFAULT_REDIS_MIX)
  const recorded = await Promise.all(maps.map((map, m) => recordCalls(map, { keys: KEYS, mix, seed, tasks: tasksPerMap, firstWriter: m * tasksPerMap, opsPerTask })))
  return recorded.flatMap((r) => r.history)
}
