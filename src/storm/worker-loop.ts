/**
 * The storm worker: attach the map, wait at the start line, then run this worker's
 * seeded operation stream until the deadline.
 *
 * Per operation it measures the latency into its shared-memory histogram and, when
 * recording and the key is one the parent keeps (STRIDE, CUTOFF: history-store.ts),
 * writes a ring record: the call side before calling the map (so the parent knows
 * the call if the worker is killed inside it), the answer after. Written values
 * are unique (values.ts); under --grow their lengths come from a seeded stream of
 * their own, scaled by how far the run is (growth.ts), so the operations are those
 * of the same seed without it. Compare-ops expect the last value this worker saw for the
 * key, so they succeed often enough to matter; `update` counts (numbers go up by one,
 * anything else restarts at 1) and records from inside its callback which of the
 * two it did, because a killed update's effect depends on it. setIfVersion and
 * deleteIfVersion mostly expect the last version this worker read for the key
 * (getVersioned), and sometimes one it read before that or one it made up (the
 * next few numbers, or ABSENT_VERSION), drawn from a seeded stream of their own:
 * stale and invented versions must fail unless they happen to be the current one.
 *
 * A failed call is counted by error code and left out of the history (a failed call
 * changes nothing). A misuse detection or a poisoned map ends the worker: every later
 * call would only throw ERR_MAP_POISONED.
 *
 * `runStormWorker(wrap)` is public so that a storm can exercise a wrapper of
 * SharedMap: a module calling it with `wrap` is passed to runStorm as `worker`.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ErrorCode } from '../errors/index.js'
import { ABSENT_VERSION, SharedMap, type SharedMapHandle } from '../map/index.js'
import { stallAt } from '../map/failpoints.js'
import type { GrowthPlan } from './growth.js'
import { BUCKETS, bucketOf } from './histogram.js'
import { STORM_OPS, type Mix, type StormOp } from './mix.js'
import { OperationStream, Random } from './op-stream.js'
import { C, COUNTED_CODES, Control, OTHER_ERROR, R, RECORD_FIELDS, UpdateKind, W, WorkerRegion, WorkerState } from './region.js'
import { encodeValue, keyName, NEVER_STORED, Tag, valueLength, valueText, type ValueRef } from './values.js'

/** The map operations a storm calls: SharedMap's, or a wrapper's with the same contract. */
export interface StormTarget {
  get(key: string): unknown
  has(key: string): boolean
  set(key: string, value: unknown): unknown
  delete(key: string): boolean
  loadOrStore(key: string, value: unknown): { readonly value: unknown; readonly loaded: boolean }
  loadAndDelete(key: string): { readonly value: unknown; readonly loaded: boolean }
  swap(key: string, value: unknown): { readonly previous: unknown; readonly loaded: boolean }
  compareAndSwap(key: string, old: unknown, next: unknown): boolean
  compareAndDelete(key: string, old: unknown): boolean
  update(key: string, fn: (current: unknown) => unknown): unknown
  getOrCompute(key: string, factory: (key: string) => unknown): unknown
  getVersioned(key: string): { readonly value: unknown; readonly version: number } | undefined
  setIfVersion(key: string, value: unknown, version: number): boolean
  deleteIfVersion(key: string, version: number): boolean
}

export interface StormWorkerData {
  readonly handle: SharedMapHandle
  readonly control: SharedArrayBuffer
  readonly region: SharedArrayBuffer
  /** The parent's performance.timeOrigin: times are sent on the parent's clock. */
  readonly origin: number
  readonly slot: number
  readonly generation: number
  readonly writer: number
  readonly seed: number
  readonly mix: Mix
  readonly keys: number
  readonly valueSize: number
  /** Under --grow: how value lengths rise through the run. */
  readonly growth: GrowthPlan | undefined
  readonly recording: boolean
  /** µs a read spins once in 16 reads after it began (0: never). */
  readonly stallReads: number
}

export type StormWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'foreign'; readonly index: number; readonly value: unknown }
  | { readonly type: 'error'; readonly code: string; readonly message: string }

/** Codes after which the map refuses every call. */
const FATAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.CONCURRENT_MAP_WRITES,
  ErrorCode.CONCURRENT_MAP_READ_WRITE,
  ErrorCode.CONCURRENT_MAP_ITERATION_WRITE,
  ErrorCode.MAP_POISONED,
])
const codeSlots = new Map(COUNTED_CODES.map((code, index) => [code, index]))
/** Prebuilt key names up to this many keys; past it they are built per call. */
const KEY_CACHE = 1 << 16
/** One read in this many is stalled under --stall-reads. */
const STALL_EVERY = 16
/** Seeds the stream of value lengths apart from the operation stream. */
const LENGTH_STREAM = 0x6c656e67
/** Seeds the stream of expected-version choices apart from the others. */
const VERSION_STREAM = 0x76657273
/** Out of 16 version-ops: this many expect the last version read, then STALE_VERSIONS an earlier one; the rest one made up. */
const LAST_VERSIONS = 12
const STALE_VERSIONS = 2
/** Made-up versions are the last one read plus 1 .. INVENTED_SPREAD (or ABSENT_VERSION). */
const INVENTED_SPREAD = 4

// Operation codes: indexes into STORM_OPS, as the stream draws them.
const GET = opCode('get')
const HAS = opCode('has')
const SET = opCode('set')
const DELETE = opCode('delete')
const LOAD_OR_STORE = opCode('loadOrStore')
const LOAD_AND_DELETE = opCode('loadAndDelete')
const SWAP = opCode('swap')
const COMPARE_AND_SWAP = opCode('compareAndSwap')
const COMPARE_AND_DELETE = opCode('compareAndDelete')
const GET_OR_COMPUTE = opCode('getOrCompute')
const UPDATE = opCode('update')
const GET_VERSIONED = opCode('getVersioned')
const SET_IF_VERSION = opCode('setIfVersion')
const DELETE_IF_VERSION = opCode('deleteIfVersion')

function opCode(op: StormOp): number {
  return STORM_OPS.indexOf(op)
}

export function runStormWorker(wrap?: (map: SharedMap<string, unknown>) => StormTarget): void {
  const port = parentPort
  if (port === null) throw new Error('runStormWorker must run in a worker thread')
  const data = workerData as StormWorkerData
  const map = SharedMap.attach<string, unknown>(data.handle)
  const target: StormTarget = wrap === undefined ? map : wrap(map)
  const control = new Control(data.control)
  const region = new WorkerRegion(data.region)
  const post = (message: StormWorkerMessage) => port.postMessage(message)
  post({ type: 'ready' })
  const ctl = control.i32
  while (Atomics.load(ctl, C.GO) === 0 && Atomics.load(ctl, C.STOP) === 0) Atomics.wait(ctl, C.GO, 0, 1000)
  Atomics.store(region.i32, W.STATE, WorkerState.running)
  const poisoned = stormLoop(data, target, control, region, post)
  Atomics.store(region.i32, W.STATE, poisoned ? WorkerState.poisoned : WorkerState.finished)
}

/** Runs the stream until the deadline or the stop flag; true when the map became unusable. */
function stormLoop(data: StormWorkerData, target: StormTarget, control: Control, region: WorkerRegion, post: (m: StormWorkerMessage) => void): boolean {
  const { keys, valueSize, writer, recording, growth } = data
  if (data.stallReads > 0) stallAt('read:begun', data.stallReads, STALL_EVERY)
  const ctl = control.i32
  const head = region.i32
  const ring = region.ring
  const capacity = region.capacity
  const shift = performance.timeOrigin - data.origin
  const deadline = control.deadline - shift
  const stream = new OperationStream(data.seed, data.slot, data.generation, data.mix, keys)
  const lengths = new Random(data.seed, data.slot, data.generation, LENGTH_STREAM)
  const start = deadline - (growth?.duration ?? 0)
  const names = keys <= KEY_CACHE ? Array.from({ length: keys }, (_, i) => keyName(i)) : undefined
  /** The last value this worker saw under each key (undefined: absent or not seen). */
  const seen: unknown[] = new Array(keys)
  /** The last two versions this worker read under each key (0: absent, or none read). */
  const lastVersion = new Float64Array(keys)
  const earlierVersion = new Float64Array(keys)
  const versionChoices = new Random(data.seed, data.slot, data.generation, VERSION_STREAM)
  const expectedVersion = (k: number): number => {
    const draw = versionChoices.below(16)
    const last = lastVersion[k] ?? 0
    if (draw < LAST_VERSIONS) return last
    if (draw < LAST_VERSIONS + STALE_VERSIONS) return earlierVersion[k] ?? 0
    const step = versionChoices.below(INVENTED_SPREAD + 1)
    return step === 0 ? ABSENT_VERSION : last + step
  }
  const sawVersion = (k: number, version: number) => {
    if (version === lastVersion[k]) return
    earlierVersion[k] = lastVersion[k] ?? 0
    lastVersion[k] = version
  }
  const reported = new Set<string>()
  const ref: ValueRef = { tag: Tag.absent, a: 0, b: 0, length: 0 }
  let foreignCount = 0
  let begun = 0
  let at = -1
  let written: unknown

  /** Stores the reference of `value` at ring[at + field ...]. */
  const put = (field: number, value: unknown) => {
    if (!encodeValue(value, ref)) {
      ref.tag = Tag.foreign
      ref.a = foreignCount++
      post({ type: 'foreign', index: ref.a, value: cloneable(value) })
    }
    ring[at + field] = ref.tag
    ring[at + field + 1] = ref.a
    ring[at + field + 2] = ref.b
    ring[at + field + 3] = ref.length
  }
  const lengthOf = (): number =>
    growth === undefined ? valueSize : valueLength(lengths.next(), valueSize, growth.from, growth.doublings, (performance.now() - start) / growth.duration)
  const bump = (current: unknown): unknown => {
    const counts = typeof current === 'number' || current === undefined
    if (at >= 0) ring[at + R.ARG_TAG] = counts ? UpdateKind.increment : UpdateKind.restart
    return counts ? ((current as number | undefined) ?? 0) + 1 : 1
  }
  const compute = (): unknown => written

  for (;;) {
    if (Atomics.load(ctl, C.STOP) !== 0) return false
    stream.next()
    const op = stream.op
    const k = stream.key
    const key = names === undefined ? keyName(k) : (names[k] as string)
    written =
      op === SET || op === LOAD_OR_STORE || op === SWAP || op === COMPARE_AND_SWAP || op === GET_OR_COMPUTE || op === SET_IF_VERSION ? valueText(writer, stream.seq, lengthOf()) : undefined
    const expected = seen[k] ?? NEVER_STORED
    const version = op === SET_IF_VERSION || op === DELETE_IF_VERSION ? expectedVersion(k) : 0
    at = -1
    if (recording && k % Atomics.load(ctl, C.STRIDE) === 0) {
      while (begun - Atomics.load(head, W.READ) >= capacity) {
        if (Atomics.load(ctl, C.STOP) !== 0 || performance.now() >= deadline) return false
        Atomics.wait(head, W.READ, Atomics.load(head, W.READ), 10)
      }
      at = (begun % capacity) * RECORD_FIELDS
      ring[at + R.OP] = op
      ring[at + R.KEY] = k
      ring[at + R.SEQ] = stream.seq
      ring[at + R.LENGTH] = typeof written === 'string' ? written.length : 0
      ring[at + R.ARG_TAG] = 0
      if (op === COMPARE_AND_SWAP || op === COMPARE_AND_DELETE) put(R.ARG_TAG, expected)
      ring[at + R.VERSION] = version
    }
    const t0 = performance.now()
    if (t0 >= deadline) return false
    if (at >= 0) {
      if (t0 + shift >= control.cutoff) at = -1
      else {
        ring[at + R.CALL] = t0 + shift
        Atomics.store(head, W.BEGUN, begun + 1)
      }
    }
    let result: unknown
    let flag = false
    let read = 0
    try {
      switch (op) {
        case GET:
          result = target.get(key)
          seen[k] = result
          break
        case HAS:
          flag = target.has(key)
          break
        case SET:
          target.set(key, written)
          seen[k] = written
          break
        case DELETE:
          flag = target.delete(key)
          seen[k] = undefined
          break
        case LOAD_OR_STORE: {
          const answer = target.loadOrStore(key, written)
          result = answer.value
          flag = answer.loaded
          seen[k] = result
          break
        }
        case LOAD_AND_DELETE: {
          const answer = target.loadAndDelete(key)
          result = answer.value
          flag = answer.loaded
          seen[k] = undefined
          break
        }
        case SWAP: {
          const answer = target.swap(key, written)
          result = answer.previous
          flag = answer.loaded
          seen[k] = written
          break
        }
        case COMPARE_AND_SWAP:
          flag = target.compareAndSwap(key, expected, written)
          if (flag) seen[k] = written
          break
        case COMPARE_AND_DELETE:
          flag = target.compareAndDelete(key, expected)
          if (flag) seen[k] = undefined
          break
        case GET_OR_COMPUTE:
          result = target.getOrCompute(key, compute)
          seen[k] = result
          break
        case UPDATE:
          result = target.update(key, bump)
          seen[k] = result
          break
        case GET_VERSIONED: {
          const answer = target.getVersioned(key)
          flag = answer !== undefined
          result = answer?.value
          read = answer?.version ?? ABSENT_VERSION
          seen[k] = result
          sawVersion(k, read)
          break
        }
        case SET_IF_VERSION:
          flag = target.setIfVersion(key, written, version)
          if (flag) seen[k] = written
          break
        case DELETE_IF_VERSION:
          flag = target.deleteIfVersion(key, version)
          if (flag) {
            seen[k] = undefined
            sawVersion(k, ABSENT_VERSION)
          }
          break
      }
    } catch (err) {
      if (at >= 0) Atomics.store(head, W.BEGUN, begun)
      const code = errorCode(err)
      region.errors[codeSlots.get(code) ?? OTHER_ERROR]! += 1
      if (!reported.has(code)) {
        reported.add(code)
        post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) })
      }
      if (FATAL_CODES.has(code)) return true
      continue
    }
    const t1 = performance.now()
    const ns = (t1 - t0) * 1e6
    region.ops[op]! += 1
    region.histogram[op * BUCKETS + bucketOf(ns)]! += 1
    if (ns > region.maxLatency[op]!) region.maxLatency[op] = ns
    if (at >= 0) {
      ring[at + R.RET] = t1 + shift
      ring[at + R.FLAG] = flag ? 1 : 0
      if (op === GET_VERSIONED) ring[at + R.VERSION] = read
      if (op !== SET && op !== HAS && op !== DELETE && op !== COMPARE_AND_SWAP && op !== COMPARE_AND_DELETE && op !== SET_IF_VERSION && op !== DELETE_IF_VERSION) put(R.RES_TAG, result)
      begun++
      Atomics.store(head, W.DONE, begun)
    }
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return err instanceof Error ? err.name : 'non-error thrown'
}

/** A foreign value as postMessage can carry it. */
function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value)
  } catch {
    return `<uncloneable ${typeof value}: ${String(value)}>`
  }
}
