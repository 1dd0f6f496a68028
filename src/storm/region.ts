/**
 * Shared memory between the storm's parent and its workers.
 *
 * The control block (one per storm) carries the start signal, the stop flag, the
 * deadline and what to record. Each worker incarnation gets a region of its own:
 * counters, latency histograms and a ring of operation records. All of it lives in
 * SharedArrayBuffers rather than messages so that nothing a worker measured or
 * recorded is lost when it is terminated: the parent reads the region after the
 * worker's exit, including the record of the operation it was killed in.
 *
 * Ring protocol (one writer, the worker; one reader, the parent):
 *   worker: fill the call side of record BEGUN; publish BEGUN + 1; call the map;
 *           fill the answer side; publish DONE + 1. A call that throws is taken back
 *           (BEGUN is reset) because a failed call changes nothing.
 *   parent: read records READ ..< DONE, then publish READ. After the worker's exit,
 *           BEGUN > DONE means the record at DONE was in flight: pending.
 *   The worker waits on READ when the ring is full.
 */
import { BUCKETS } from './histogram.js'
import { STORM_OPS } from './mix.js'
import { ErrorCode } from '../errors/index.js'

// ---- control block: Int32 words, then Float64 slots ----
export const C = {
  /** 0 until every first-generation worker is ready; then 1. */
  GO: 0,
  /** Non-zero: workers stop after their current operation. */
  STOP: 1,
  /** Keys recorded: those whose index is a multiple of STRIDE. */
  STRIDE: 2,
  /** Non-zero once CUTOFF holds a time after which nothing is recorded. */
  CUTOFF_SET: 3,
} as const
const CONTROL_INT_WORDS = 4
const F_DEADLINE = 0
const F_CUTOFF = 1

export class Control {
  readonly buffer: SharedArrayBuffer
  readonly i32: Int32Array
  readonly #f64: Float64Array

  constructor(buffer = new SharedArrayBuffer(CONTROL_INT_WORDS * 4 + 2 * 8)) {
    this.buffer = buffer
    this.i32 = new Int32Array(buffer, 0, CONTROL_INT_WORDS)
    this.#f64 = new Float64Array(buffer, CONTROL_INT_WORDS * 4, 2)
  }

  get deadline(): number {
    return this.#f64[F_DEADLINE] ?? 0
  }

  /** Opens the start line; the deadline is written before GO so every worker that sees GO sees it. */
  start(deadline: number): void {
    this.#f64[F_DEADLINE] = deadline
    Atomics.store(this.i32, C.GO, 1)
    Atomics.notify(this.i32, C.GO)
  }

  stop(): void {
    Atomics.store(this.i32, C.STOP, 1)
    Atomics.notify(this.i32, C.GO)
  }

  get stopped(): boolean {
    return Atomics.load(this.i32, C.STOP) !== 0
  }

  get cutoff(): number {
    return Atomics.load(this.i32, C.CUTOFF_SET) === 0 ? Infinity : (this.#f64[F_CUTOFF] ?? Infinity)
  }

  setCutoff(time: number): void {
    this.#f64[F_CUTOFF] = time
    Atomics.store(this.i32, C.CUTOFF_SET, 1)
  }
}

// ---- worker region ----
/** Int32 header words. */
export const W = {
  BEGUN: 0,
  DONE: 1,
  READ: 2,
  /** WorkerState below. */
  STATE: 3,
} as const
const HEADER_BYTES = 64

export const WorkerState = {
  booting: 0,
  running: 1,
  /** Reached the deadline or the stop flag. */
  finished: 2,
  /** Stopped by a misuse detection: the map is poisoned for everyone. */
  poisoned: 3,
} as const

/** Fields of one ring record (Float64 each). A value reference takes four: TAG, A, B, LENGTH (values.ts). */
export const R = {
  CALL: 0,
  RET: 1,
  OP: 2,
  KEY: 3,
  SEQ: 4,
  /** Length of the value the operation writes (its id is the writer and SEQ). */
  LENGTH: 5,
  /** Compare-ops' expected value; update: the callback's choice (UpdateKind). */
  ARG_TAG: 6,
  ARG_A: 7,
  ARG_B: 8,
  ARG_LENGTH: 9,
  RES_TAG: 10,
  RES_A: 11,
  RES_B: 12,
  RES_LENGTH: 13,
  /** Boolean answers: the result of has/delete/compare-ops and version ops, `loaded` of load-ops, whether getVersioned found the key. */
  FLAG: 14,
  /**
   * setIfVersion / deleteIfVersion: the expected version; getVersioned: the version
   * read. Versions are safe integers (below 2^53), exact in a Float64.
   */
  VERSION: 15,
} as const
export const RECORD_FIELDS = 16

/** What an update callback did, written by the callback itself so a killed update is still known. */
export const UpdateKind = {
  /** The callback never ran: a killed update that cannot have taken effect. */
  notRun: 0,
  /** The value was a number or absent: stored value + 1 (absent counts as 0). */
  increment: 1,
  /** The value was not a number: stored 1 instead. */
  restart: 2,
} as const

/** Codes counted per worker; anything else is counted as OTHER (its name arrives by message). */
export const COUNTED_CODES: readonly string[] = Object.values(ErrorCode)
export const OTHER_ERROR = COUNTED_CODES.length
const ERROR_SLOTS = COUNTED_CODES.length + 1

const RING_CAPACITY = 1 << 16

export class WorkerRegion {
  readonly buffer: SharedArrayBuffer
  readonly i32: Int32Array
  /** Completed operations per op. */
  readonly ops: Float64Array
  /** Failed operations per error slot (COUNTED_CODES, then OTHER). */
  readonly errors: Float64Array
  /** Largest latency per op, in ns. */
  readonly maxLatency: Float64Array
  /** BUCKETS counts per op, op after op. */
  readonly histogram: Float64Array
  readonly ring: Float64Array
  readonly capacity: number

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    const n = STORM_OPS.length
    this.i32 = new Int32Array(buffer, 0, HEADER_BYTES / 4)
    let at = HEADER_BYTES
    const take = (length: number) => {
      const view = new Float64Array(buffer, at, length)
      at += length * 8
      return view
    }
    this.ops = take(n)
    this.errors = take(ERROR_SLOTS)
    this.maxLatency = take(n)
    this.histogram = take(n * BUCKETS)
    this.capacity = (buffer.byteLength - at) / (RECORD_FIELDS * 8)
    this.ring = take(this.capacity * RECORD_FIELDS)
  }

  static create(recording: boolean): WorkerRegion {
    const n = STORM_OPS.length
    const fixed = HEADER_BYTES + 8 * (n + ERROR_SLOTS + n + n * BUCKETS)
    return new WorkerRegion(new SharedArrayBuffer(fixed + (recording ? RING_CAPACITY * RECORD_FIELDS * 8 : 0)))
  }

  get state(): number {
    return Atomics.load(this.i32, W.STATE)
  }

  totalOps(): number {
    let total = 0
    for (const count of this.ops) total += count
    return total
  }

  totalErrors(): number {
    let total = 0
    for (const count of this.errors) total += count
    return total
  }
}
