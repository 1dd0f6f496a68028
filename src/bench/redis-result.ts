/**
 * The Redis section's figures (redis-section.ts): per operation and number of concurrent
 * callers, each contender's throughput and per-call latency, medians over rounds.
 */
import type { Mode } from './plan.js'
import type { Machine } from './result.js'

export const REDIS_OPS = ['get', 'set', 'update'] as const
export type RedisOp = (typeof REDIS_OPS)[number]

/**
 * redismap: RedisMap on node-redis; raw: node-redis HGET / HSET (update: HGET then HSET,
 * two round trips, not atomic); redismap-ioredis: RedisMap on ioredis; redis-benchmark:
 * the server's own tool, C, HGET / HSET, `callers` connections with one call in flight each.
 */
export const REDIS_CONTENDERS = ['redismap', 'raw', 'redismap-ioredis', 'redis-benchmark'] as const
export type RedisContender = (typeof REDIS_CONTENDERS)[number]

export interface RedisRow {
  readonly op: RedisOp
  /** Calls in flight at once: async tasks on one connection (node), connections (redis-benchmark). */
  readonly callers: number
  readonly contender: RedisContender
  readonly label: string
  readonly opsPerSec: number | null
  readonly p50Ns: number | null
  readonly p99Ns: number | null
  /** Time per call over raw node-redis's in the same round (raw ops/s ÷ this row's), median over rounds; null for raw itself. */
  readonly costVsRaw: number | null
  /** Rounds that produced a figure. */
  readonly rounds: number
  readonly error?: string
}

export interface RedisSection {
  /** Why the section did not run (no redis-server on PATH), or absent when it ran. */
  readonly skipped?: string
  /** `redis-server --version` of the server measured. */
  readonly server?: string
  readonly rows: readonly RedisRow[]
  readonly notes: readonly string[]
}

/** `conmap bench --only redis --json`: the Redis section alone. */
export interface RedisBenchResult {
  readonly tool: 'conmap bench redis'
  readonly version: string
  readonly command: string
  readonly mode: Mode
  readonly startedAt: string
  readonly seconds: number
  readonly machine: Machine
  readonly redis: RedisSection
  readonly ok: boolean
}
