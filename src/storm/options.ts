/**
 * Storm options: defaults, bounds and validation. The library and the CLI share
 * this code; numbers may arrive as numeric strings (as from a command line), and
 * every bad value is an ERR_INVALID_ARGUMENT naming the option as the caller knows it.
 */
import type { Concurrency } from '../map/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { DEFAULT_MIX, parseMix, type Mix } from './mix.js'

export const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

export interface StormOptions {
  /** The map's strategy (default 'optimistic'). */
  readonly concurrency: Concurrency
  /** Worker threads storming the map at once (default 4). */
  readonly workers: number
  /** Seconds to run (default 5; fractions allowed). */
  readonly duration: number
  /** Size of the key space: keys k0 … k{keys-1} (default 1024). */
  readonly keys: number
  /** Relative weights of the operations (default DEFAULT_MIX). */
  readonly mix: Mix
  /** Bytes per written string value (default 16; at least the value's id, `${writer}.${seq}`); with `grow`, the least. */
  readonly valueSize: number
  /**
   * Keep the map's buffer growing through the run (default false): the map starts
   * minimal and written values grow in length until the deadline (growth.ts).
   */
  readonly grow: boolean
  /**
   * Microseconds a reader spins, once in 16 reads, right after it began a read
   * (default 0: never): widens the windows between a read's first look at the map
   * and its validation, where races with writers and growth live.
   */
  readonly stallReads: number
  /** Seed of the operation streams (default: random, and reported so the run can be repeated). */
  readonly seed: number
  /** Record histories and check them for linearizability (default false). */
  readonly check: boolean
  /**
   * Make the map with metrics: true and report lock-wait percentiles and hot keys
   * (default false: the storm's map, its buffer figures and its throughput stay those of a map without metrics).
   */
  readonly metrics: boolean
  /**
   * Most operations kept for the check (default 500,000). Past it, recording keeps
   * whole per-key histories for fewer keys (see history-store.ts).
   */
  readonly checkLimit: number
  /** Seconds the linearizability search may take before giving up undecided (default 60). */
  readonly checkTimeout: number
  /** Worker kills per second (default 0: none); killed workers are respawned. */
  readonly kill: number
  /** Shards of the map (a power of two from 1 to 1024; default SharedMap's). */
  readonly shards: number | undefined
  /** Seconds without progress that count as a deadlock (default 10). */
  readonly stallTimeout: number
  /**
   * Default time to live of the map's entries in ms, so every storm write expires
   * (default: none). With it or maxEntries the storm runs on a cache map, and its
   * histories are checked as a cache's: entries may vanish, never reappear.
   */
  readonly ttl: number | undefined
  /** Bound on the map's live entries: writes past it evict (default: none). */
  readonly maxEntries: number | undefined
  /**
   * maxBytes of the map (default: 4 GiB less 64 KiB). Needs maxEntries: a bounded map
   * past maxBytes evicts, so a small one makes writes take blocks other shards freed.
   */
  readonly maxBytes: number | undefined
}

export type StormInput = {
  readonly [K in Exclude<keyof StormOptions, 'mix'>]?: StormOptions[K] | string
} & {
  readonly mix?: string | Readonly<Partial<Record<string, number | string>>>
}

export const DEFAULTS = {
  concurrency: 'optimistic',
  workers: 4,
  duration: 5,
  keys: 1024,
  mix: DEFAULT_MIX,
  valueSize: 16,
  grow: false,
  stallReads: 0,
  check: false,
  metrics: false,
  checkLimit: 500_000,
  checkTimeout: 60,
  kill: 0,
  stallTimeout: 10,
} as const

/** A day: a storm runs at most that long, so a longer ttl would never expire anything. */
const MAX_TTL_MS = 86_400_000
/** The least maxBytes a storm takes: room for the shards' tables and some entries. */
const MIN_MAX_BYTES = 256 * 1024

/** SharedMap's own ceiling of maxEntries. */
const MAX_ENTRIES = 2 ** 31

/** Upper bound of keys × value size: the storm's map stays far below SharedMap's default ceiling. */
const MAX_VALUE_BYTES = 256 * 2 ** 20

/**
 * Validates and completes storm options. `label` names an option in messages
 * (the CLI passes its flag names).
 */
export function validateStormOptions(input: StormInput = {}, label: (name: keyof StormOptions) => string = (name) => name): StormOptions {
  if (typeof input !== 'object' || input === null) throw invalid('storm options must be an object')
  const known = new Set<string>([...Object.keys(DEFAULTS), 'seed', 'shards', 'ttl', 'maxEntries', 'maxBytes'])
  for (const name of Object.keys(input)) if (!known.has(name)) throw invalid(`unknown storm option '${name}'`)
  const concurrency = input.concurrency ?? DEFAULTS.concurrency
  if (!CONCURRENCIES.includes(concurrency as Concurrency)) {
    throw invalid(`${label('concurrency')} must be one of ${CONCURRENCIES.join(', ')}, got '${String(concurrency)}'`)
  }
  const number = numberReader<keyof StormOptions>(input, label)
  const options: StormOptions = {
    concurrency: concurrency as Concurrency,
    workers: number('workers', DEFAULTS.workers, 1, 256, true),
    duration: number('duration', DEFAULTS.duration, 0, 86_400, false, true),
    keys: number('keys', DEFAULTS.keys, 1, 4_000_000, true),
    mix: parseMix(input.mix ?? DEFAULTS.mix, label('mix')),
    valueSize: number('valueSize', DEFAULTS.valueSize, 1, 2 ** 20, true),
    seed: number('seed', Math.floor(Math.random() * 0x100000000), 0, 0xffffffff, true),
    grow: flag(input.grow, DEFAULTS.grow, label('grow')),
    stallReads: number('stallReads', DEFAULTS.stallReads, 0, 1_000_000, false),
    check: flag(input.check, DEFAULTS.check, label('check')),
    metrics: flag(input.metrics, DEFAULTS.metrics, label('metrics')),
    checkLimit: number('checkLimit', DEFAULTS.checkLimit, 1000, 50_000_000, true),
    checkTimeout: number('checkTimeout', DEFAULTS.checkTimeout, 0, 86_400, false, true),
    kill: number('kill', DEFAULTS.kill, 0, 1000, false),
    shards: input.shards === undefined ? undefined : number('shards', 0, 1, 1024, true),
    stallTimeout: number('stallTimeout', DEFAULTS.stallTimeout, 0, 3600, false, true),
    ttl: input.ttl === undefined ? undefined : number('ttl', 0, 1, MAX_TTL_MS, true),
    maxEntries: input.maxEntries === undefined ? undefined : number('maxEntries', 0, 1, MAX_ENTRIES, true),
    maxBytes: input.maxBytes === undefined ? undefined : number('maxBytes', 0, MIN_MAX_BYTES, 2 ** 32 - 2 ** 16, true),
  }
  if (options.maxBytes !== undefined && options.maxEntries === undefined) {
    throw invalid(`${label('maxBytes')} needs ${label('maxEntries')}: past maxBytes an unbounded map refuses writes, a bounded one evicts`)
  }
  if (options.shards !== undefined && (options.shards & (options.shards - 1)) !== 0) {
    throw invalid(`${label('shards')} must be a power of two from 1 to 1024, got '${String(input.shards)}'`)
  }
  if (options.keys * options.valueSize > MAX_VALUE_BYTES) {
    throw invalid(`${label('keys')} × ${label('valueSize')} = ${options.keys * options.valueSize} bytes of values; at most ${MAX_VALUE_BYTES} are allowed`)
  }
  return options
}

/** Whether the storm runs on a cache map, whose entries may vanish. */
export function isCacheStorm(options: StormOptions): boolean {
  return options.ttl !== undefined || options.maxEntries !== undefined
}

/**
 * A reader of numeric options of `input` (numbers, or numeric strings as from a command
 * line), each between min and max (above min with exclusiveMin), an integer if asked;
 * a bad one is an ERR_INVALID_ARGUMENT naming it by `label`.
 */
export function numberReader<N extends string>(input: object, label: (name: N) => string) {
  return (name: N, fallback: number, min: number, max: number, integer: boolean, exclusiveMin = false): number => {
    const raw = (input as Record<string, unknown>)[name]
    if (raw === undefined) return fallback
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value))
    if (!ok) {
      const kind = integer ? 'an integer' : 'a number'
      const range = exclusiveMin ? `above ${min} and at most ${max}` : `from ${min} to ${max}`
      throw invalid(`${label(name)} must be ${kind} ${range}, got '${String(raw)}'`)
    }
    return value as number
  }
}

export function flag(raw: boolean | string | undefined, fallback: boolean, name: string): boolean {
  if (raw === undefined) return fallback
  if (raw === true || raw === 'true') return true
  if (raw === false || raw === 'false') return false
  throw invalid(`${name} must be a boolean, got '${String(raw)}'`)
}

function invalid(message: string) {
  return conmapError(ErrorCode.INVALID_ARGUMENT, message)
}
