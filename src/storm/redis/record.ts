/**
 * Recorded concurrent calls of an async map (a RedisMap, or a wrapper of one): a few
 * async callers ("tasks") share one map, each runs a seeded operation stream
 * (../op-stream.ts) over keys k0 … k{keys-1} and writes values no other write stores
 * (../values.ts: `${writer}.${seq}`, writer = the task's number across the storm), and
 * every call becomes one conmap/check Operation with its call and return times.
 *
 * Times are performance.timeOrigin + performance.now(): one clock for every thread of
 * the process, so histories of several workers merge. A call that rejected is recorded
 * as pending (no ret, no result): ERR_REDIS_INDETERMINATE says it may or may not have
 * taken effect, and any other failure is taken as no better known; a pending operation
 * may be linearized anywhere after its call, or not at all.
 *
 * What compare-ops expect comes from what the task saw: compareAndSwap / compareAndDelete
 * the last value it read or wrote under the key (NEVER_STORED when none), setIfVersion /
 * deleteIfVersion its last version of the key mostly, else an earlier (stale) one or one
 * made up, so that both outcomes happen.
 */
import { performance } from 'node:perf_hooks'
import type { Operation, UpdateDescriptor } from '../../check/index.js'
import { ABSENT_VERSION } from '../../map/versions.js'
import { STORM_OPS, type Mix, type StormOp } from '../mix.js'
import { OperationStream, Random } from '../op-stream.js'
import { keyName, NEVER_STORED, valueText } from '../values.js'

/** The map operations a Redis storm calls: RedisMap's, or a wrapper's with the same contract. */
export interface AsyncStormTarget {
  get(key: string): Promise<unknown>
  has(key: string): Promise<boolean>
  set(key: string, value: unknown): Promise<unknown>
  delete(key: string): Promise<boolean>
  loadOrStore(key: string, value: unknown): Promise<{ readonly value: unknown; readonly loaded: boolean }>
  loadAndDelete(key: string): Promise<{ readonly value: unknown; readonly loaded: boolean }>
  swap(key: string, value: unknown): Promise<{ readonly previous: unknown; readonly loaded: boolean }>
  compareAndSwap(key: string, old: unknown, next: unknown): Promise<boolean>
  compareAndDelete(key: string, old: unknown): Promise<boolean>
  update(key: string, fn: (current: unknown) => unknown): Promise<unknown>
  getOrComputeAsync(key: string, factory: () => Promise<unknown>): Promise<unknown>
  getVersioned(key: string): Promise<{ readonly value: unknown; readonly version: number } | undefined>
  setIfVersion(key: string, value: unknown, version: number): Promise<boolean>
  deleteIfVersion(key: string, version: number): Promise<boolean>
}

export interface RecordOptions {
  readonly keys: number
  readonly mix: Mix
  readonly seed: number
  /** Concurrent callers on the map. */
  readonly tasks: number
  /** Number of the first task, so writers stay unique across workers: task t writes as firstWriter + t. */
  readonly firstWriter: number
  /** Stop at this time (performance.timeOrigin + performance.now() ms)… */
  readonly deadline?: number
  /** …or after this many operations per task (whichever comes first). */
  readonly opsPerTask?: number
  /** Keep the history (default true); counts and errors are kept either way. */
  readonly record?: boolean
}

export interface Recorded {
  /** The calls, pending ones included; empty when not recording. */
  readonly history: Operation[]
  /** Calls made, answered or failed, per operation. */
  readonly opsByType: Record<StormOp, number>
  /** Failed calls by error code ('other' without a code). */
  readonly errors: Record<string, number>
  /** The first message seen for each code in `errors`. */
  readonly errorSamples: Record<string, string>
}

/** Separates the version choices of a task from its operation stream. */
const VERSION_STREAM = 0x7e55
/** Out of 8 draws: the last version seen, an earlier one, or one made up (ABSENT_VERSION or a few past the last). */
const LAST_VERSIONS = 5
const STALE_VERSIONS = 1
const INVENTED_SPREAD = 3

export function now(): number {
  return performance.timeOrigin + performance.now()
}

export async function recordCalls(target: AsyncStormTarget, options: RecordOptions): Promise<Recorded> {
  const recorded: Recorded = {
    history: [],
    opsByType: Object.fromEntries(STORM_OPS.map((op) => [op, 0])) as Record<StormOp, number>,
    errors: {},
    errorSamples: {},
  }
  const tasks = Array.from({ length: options.tasks }, (_, t) => runTask(target, options, options.firstWriter + t, recorded))
  await Promise.all(tasks)
  return recorded
}

async function runTask(target: AsyncStormTarget, options: RecordOptions, writer: number, out: Recorded): Promise<void> {
  const { keys, deadline = Infinity, opsPerTask = Infinity } = options
  const record = options.record ?? true
  const stream = new OperationStream(options.seed, writer, 0, options.mix, keys)
  const choices = new Random(options.seed, writer, VERSION_STREAM)
  const seen = new Map<number, unknown>()
  const lastVersion = new Map<number, number>()
  const earlierVersion = new Map<number, number>()
  const expectedVersion = (k: number): number => {
    const draw = choices.below(8)
    const last = lastVersion.get(k) ?? ABSENT_VERSION
    if (draw < LAST_VERSIONS) return last
    if (draw < LAST_VERSIONS + STALE_VERSIONS) return earlierVersion.get(k) ?? ABSENT_VERSION
    const step = choices.below(INVENTED_SPREAD + 1)
    return step === 0 ? ABSENT_VERSION : last + step
  }
  const sawVersion = (k: number, version: number) => {
    if (version === lastVersion.get(k)) return
    earlierVersion.set(k, lastVersion.get(k) ?? ABSENT_VERSION)
    lastVersion.set(k, version)
  }
  for (let i = 0; i < opsPerTask; i++) {
    stream.next()
    const op = STORM_OPS[stream.op] as StormOp
    const k = stream.key
    const key = keyName(k)
    const written = valueText(writer, stream.seq, 0)
    const expected = seen.get(k) ?? NEVER_STORED
    let descriptor: UpdateDescriptor = { kind: 'increment', by: 1 }
    // update's callback may run more than once; only its last run can have committed.
    const bump = (current: unknown): unknown => {
      const counts = typeof current === 'number' || current === undefined
      descriptor = counts ? { kind: 'increment', by: 1 } : { kind: 'set', value: written }
      return counts ? ((current as number | undefined) ?? 0) + 1 : written
    }
    const call = now()
    if (call >= deadline) return
    out.opsByType[op]++
    let args: unknown[] = []
    let result: unknown
    try {
      switch (op) {
        case 'get':
          result = await target.get(key)
          seen.set(k, result)
          break
        case 'has':
          result = await target.has(key)
          break
        case 'set':
          args = [written]
          await target.set(key, written)
          seen.set(k, written)
          break
        case 'delete':
          result = await target.delete(key)
          seen.delete(k)
          break
        case 'loadOrStore': {
          args = [written]
          const { value, loaded } = await target.loadOrStore(key, written)
          result = { value, loaded }
          seen.set(k, value)
          break
        }
        case 'loadAndDelete': {
          const { value, loaded } = await target.loadAndDelete(key)
          result = { value, loaded }
          seen.delete(k)
          break
        }
        case 'swap': {
          args = [written]
          const { previous, loaded } = await target.swap(key, written)
          result = { previous, loaded }
          seen.set(k, written)
          break
        }
        case 'compareAndSwap':
          args = [expected, written]
          result = await target.compareAndSwap(key, expected, written)
          if (result === true) seen.set(k, written)
          break
        case 'compareAndDelete':
          args = [expected]
          result = await target.compareAndDelete(key, expected)
          if (result === true) seen.delete(k)
          break
        case 'getOrCompute':
          args = [written]
          result = await target.getOrComputeAsync(key, async () => written)
          seen.set(k, result)
          break
        case 'update':
          result = await target.update(key, bump)
          args = [descriptor]
          seen.set(k, result)
          break
        case 'getVersioned': {
          const answer = await target.getVersioned(key)
          result = answer === undefined ? undefined : { value: answer.value, version: answer.version }
          seen.set(k, answer?.value)
          sawVersion(k, answer?.version ?? ABSENT_VERSION)
          break
        }
        case 'setIfVersion': {
          const version = expectedVersion(k)
          args = [written, version]
          result = await target.setIfVersion(key, written, version)
          if (result === true) seen.set(k, written)
          break
        }
        case 'deleteIfVersion': {
          const version = expectedVersion(k)
          args = [version]
          result = await target.deleteIfVersion(key, version)
          if (result === true) seen.delete(k)
          break
        }
      }
    } catch (err) {
      const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'other'
      out.errors[code] = (out.errors[code] ?? 0) + 1
      out.errorSamples[code] ??= err instanceof Error ? err.message : String(err)
      if (op === 'update') args = [descriptor]
      if (record) out.history.push({ thread: writer, key, op, args, call })
      continue
    }
    if (record) out.history.push({ thread: writer, key, op, args, result, call, ret: now() })
  }
}
