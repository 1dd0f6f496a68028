/**
 * Options of the Redis storm (`conmap storm --backend redis`): defaults, bounds and
 * validation, in the style of ../options.ts (numbers may arrive as numeric strings, and
 * every bad value is an ERR_INVALID_ARGUMENT naming the option as the caller knows it).
 */
import { conmapError, ErrorCode } from '../../errors/index.js'
import { parseMix, type Mix } from '../mix.js'
import { flag, numberReader } from '../options.js'

export const REDIS_CLIENTS = ['node-redis', 'ioredis'] as const
export type RedisClientKind = (typeof REDIS_CLIENTS)[number]

/** Every operation the checker models, the reads heaviest: a storm on a server is bound by round trips, so writes need not be rare. */
export const DEFAULT_REDIS_MIX =
  'get:30,has:5,set:10,delete:5,loadOrStore:5,loadAndDelete:5,swap:5,compareAndSwap:5,compareAndDelete:5,getOrCompute:3,update:5,getVersioned:5,setIfVersion:5,deleteIfVersion:3'

export interface RedisStormOptions {
  /** Where the server is: `redis://[user:password@]host:port`; with `cluster`, any node of the cluster (several, comma-separated, allowed). */
  readonly url: string
  /** The server is a Redis Cluster (default false). */
  readonly cluster: boolean
  /** Client library each worker connects with (default 'node-redis'). */
  readonly client: RedisClientKind
  /** Worker threads, each with its own connection (default 4). */
  readonly workers: number
  /** Concurrent async callers on each worker's connection (default 4). */
  readonly tasks: number
  /** Seconds to run (default 5; fractions allowed). */
  readonly duration: number
  /** Size of the key space: keys k0 … k{keys-1} (default 64). */
  readonly keys: number
  /** Relative weights of the operations (default DEFAULT_REDIS_MIX). */
  readonly mix: Mix
  /** Seed of the operation streams (default: random, and reported). */
  readonly seed: number
  /** Record the history and check it for linearizability, per key (default false). */
  readonly check: boolean
  /** Seconds the linearizability search may take before giving up undecided (default 60). */
  readonly checkTimeout: number
  /** ms to wait for the first connection before the storm gives up (default 5000). */
  readonly connectTimeout: number
}

export type RedisStormInput = {
  readonly [K in Exclude<keyof RedisStormOptions, 'mix'>]?: RedisStormOptions[K] | string
} & {
  readonly mix?: string | Readonly<Partial<Record<string, number | string>>>
}

export const REDIS_DEFAULTS = {
  cluster: false,
  client: 'node-redis',
  workers: 4,
  tasks: 4,
  duration: 5,
  keys: 64,
  mix: DEFAULT_REDIS_MIX,
  check: false,
  checkTimeout: 60,
  connectTimeout: 5000,
} as const

/** Validates and completes Redis storm options; `label` names an option in messages. */
export function validateRedisStormOptions(input: RedisStormInput, label: (name: keyof RedisStormOptions) => string = (name) => name): RedisStormOptions {
  if (typeof input !== 'object' || input === null) throw invalid('redis storm options must be an object')
  const known = new Set<string>([...Object.keys(REDIS_DEFAULTS), 'url', 'seed'])
  for (const name of Object.keys(input)) if (!known.has(name)) throw invalid(`unknown redis storm option '${name}'`)
  const url = input.url
  if (typeof url !== 'string' || url.trim() === '') throw invalid(`${label('url')} is required: redis://host:port`)
  for (const one of url.split(',')) {
    let parsed: URL | undefined
    try {
      parsed = new URL(one.trim())
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
      throw invalid(`${label('url')} must be a redis://host:port or rediss://host:port URL, got '${one}'`)
    }
  }
  const client = input.client ?? REDIS_DEFAULTS.client
  if (!REDIS_CLIENTS.includes(client as RedisClientKind)) throw invalid(`${label('client')} must be one of ${REDIS_CLIENTS.join(', ')}, got '${String(client)}'`)
  const number = numberReader<keyof RedisStormOptions>(input, label)
  return {
    url: url.trim(),
    cluster: flag(input.cluster, REDIS_DEFAULTS.cluster, label('cluster')),
    client: client as RedisClientKind,
    workers: number('workers', REDIS_DEFAULTS.workers, 1, 256, true),
    tasks: number('tasks', REDIS_DEFAULTS.tasks, 1, 256, true),
    duration: number('duration', REDIS_DEFAULTS.duration, 0, 86_400, false, true),
    keys: number('keys', REDIS_DEFAULTS.keys, 1, 1_000_000, true),
    mix: parseMix(input.mix ?? REDIS_DEFAULTS.mix, label('mix')),
    seed: number('seed', Math.floor(Math.random() * 0x100000000), 0, 0xffffffff, true),
    check: flag(input.check, REDIS_DEFAULTS.check, label('check')),
    checkTimeout: number('checkTimeout', REDIS_DEFAULTS.checkTimeout, 0, 86_400, false, true),
    connectTimeout: number('connectTimeout', REDIS_DEFAULTS.connectTimeout, 1, 600_000, true),
  }
}

function invalid(message: string) {
  return conmapError(ErrorCode.INVALID_ARGUMENT, message)
}
