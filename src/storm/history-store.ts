/**
 * The parent's side of recording: drains the workers' rings, keeps the history
 * within --check-limit, and turns records into the checker's Operations.
 *
 * Keeping the history bounded without making it wrong: linearizability is checked
 * key by key, and a key's history is only useful whole. So when the history grows
 * past the limit, the store halves the set of keys it keeps (those whose index is a
 * multiple of STRIDE, doubled each time), drops what it had for the others, and
 * tells the workers to stop recording them. The keys that remain have complete
 * histories from the first operation to the final read. Only when a single key
 * alone outgrows the limit does it fall back to a time cutoff: nothing invoked after
 * it is recorded, operations still in flight at it become pending, and the final
 * state can no longer be compared with the history (it depends on operations that
 * were not recorded).
 */
import type { Operation, UpdateDescriptor } from '../check/index.js'
import { STORM_OPS } from './mix.js'
import { C, type Control, R, RECORD_FIELDS, UpdateKind, W, type WorkerRegion } from './region.js'
import { decodeValue, keyName, Tag } from './values.js'

const WRITER = RECORD_FIELDS
const STORED_FIELDS = RECORD_FIELDS + 1
const CHUNK_RECORDS = 1 << 15

/** The thread number of final reads in histories and counter-examples. */
export const FINAL_READER = -1

const INCREMENT: UpdateDescriptor = { kind: 'increment', by: 1 }
const RESTART: UpdateDescriptor = { kind: 'set', value: 1 }
const NO_ARGS: readonly unknown[] = Object.freeze([])

export class HistoryStore {
  /** Records whose RET is NaN are pending. */
  #chunks: Float64Array[] = []
  #count = 0
  #stride = 1
  #cutoff = Infinity
  readonly #maxStride: number
  readonly #limit: number
  readonly #control: Control
  /** Foreign values by writer, then by index (worker-loop.ts). */
  readonly #foreign = new Map<number, Map<number, unknown>>()
  readonly #keyNames = new Map<number, string>()

  constructor(control: Control, keys: number, limit: number) {
    this.#control = control
    this.#limit = limit
    let maxStride = 1
    while (maxStride < keys) maxStride *= 2
    this.#maxStride = maxStride
    Atomics.store(control.i32, C.STRIDE, 1)
  }

  get count(): number {
    return this.#count
  }

  /** Keys whose histories are kept: indexes 0, stride, 2 × stride, … below `keys`. */
  keptKeys(keys: number): number[] {
    const kept: number[] = []
    for (let key = 0; key < keys; key += this.#stride) kept.push(key)
    return kept
  }

  /** Time of the fallback cutoff, Infinity when histories are complete. */
  get cutoff(): number {
    return this.#cutoff
  }

  addForeign(writer: number, index: number, value: unknown): void {
    let table = this.#foreign.get(writer)
    if (table === undefined) this.#foreign.set(writer, (table = new Map()))
    table.set(index, value)
  }

  /** Takes the completed records out of a worker's ring. */
  drain(region: WorkerRegion, writer: number): void {
    const head = region.i32
    const done = Atomics.load(head, W.DONE)
    let read = Atomics.load(head, W.READ)
    for (; read < done; read++) this.#keep(region, read, writer, false)
    Atomics.store(head, W.READ, read)
    Atomics.notify(head, W.READ)
  }

  /** After a worker's exit: the rest of its ring, and the call it died in as pending. */
  drainExited(region: WorkerRegion, writer: number): void {
    this.drain(region, writer)
    const head = region.i32
    const done = Atomics.load(head, W.DONE)
    if (Atomics.load(head, W.BEGUN) > done) this.#keep(region, done, writer, true)
  }

  /** Applies the limit: fewer keys first, the time cutoff last. */
  enforceLimit(now: number): void {
    if (this.#count <= this.#limit) return
    while (this.#count > this.#limit && this.#stride < this.#maxStride) {
      this.#stride *= 2
      this.#compact()
    }
    Atomics.store(this.#control.i32, C.STRIDE, this.#stride)
    if (this.#count > this.#limit && this.#cutoff === Infinity) {
      this.#cutoff = now
      this.#control.setCutoff(now)
    }
  }

  /** The recorded history, as the checker reads it. */
  operations(): Operation[] {
    const ops: Operation[] = []
    for (let i = 0; i < this.#count; i++) {
      const op = this.#operation(this.#chunks[Math.floor(i / CHUNK_RECORDS)] as Float64Array, (i % CHUNK_RECORDS) * STORED_FIELDS)
      if (op !== undefined) ops.push(op)
    }
    return ops
  }

  #keep(region: WorkerRegion, index: number, writer: number, pending: boolean): void {
    const ring = region.ring
    const from = (index % region.capacity) * RECORD_FIELDS
    const key = ring[from + R.KEY] ?? 0
    if (key % this.#stride !== 0 || (ring[from + R.CALL] ?? 0) >= this.#cutoff) return
    const slot = this.#count % CHUNK_RECORDS
    if (slot === 0) this.#chunks.push(new Float64Array(CHUNK_RECORDS * STORED_FIELDS))
    const chunk = this.#chunks[Math.floor(this.#count / CHUNK_RECORDS)] as Float64Array
    const to = slot * STORED_FIELDS
    for (let f = 0; f < RECORD_FIELDS; f++) chunk[to + f] = ring[from + f] ?? 0
    chunk[to + WRITER] = writer
    if (pending) chunk[to + R.RET] = NaN
    this.#count++
  }

  /** Drops the records of keys no longer kept, in place (kept records move down, never up). */
  #compact(): void {
    const chunks = this.#chunks
    let kept = 0
    for (let i = 0; i < this.#count; i++) {
      const chunk = chunks[Math.floor(i / CHUNK_RECORDS)] as Float64Array
      const from = (i % CHUNK_RECORDS) * STORED_FIELDS
      if ((chunk[from + R.KEY] ?? 0) % this.#stride !== 0) continue
      if (kept !== i) {
        const into = chunks[Math.floor(kept / CHUNK_RECORDS)] as Float64Array
        const to = (kept % CHUNK_RECORDS) * STORED_FIELDS
        for (let f = 0; f < STORED_FIELDS; f++) into[to + f] = chunk[from + f] ?? 0
      }
      kept++
    }
    this.#count = kept
    chunks.length = Math.ceil(kept / CHUNK_RECORDS)
  }

  #operation(r: Float64Array, at: number): Operation | undefined {
    const writer = r[at + WRITER] ?? 0
    const code = r[at + R.OP] ?? 0
    const name = STORM_OPS[code]
    if (name === undefined) throw new Error(`corrupt ring record: operation code ${code}`)
    const ret = r[at + R.RET] ?? 0
    const pending = Number.isNaN(ret) || ret > this.#cutoff
    const seq = r[at + R.SEQ] ?? 0
    let args: readonly unknown[]
    switch (name) {
      case 'set':
      case 'loadOrStore':
      case 'swap':
      case 'getOrCompute':
        args = [this.#written(r, at, writer, seq)]
        break
      case 'compareAndSwap':
        args = [this.#value(r, at + R.ARG_TAG, writer), this.#written(r, at, writer, seq)]
        break
      case 'compareAndDelete':
        args = [this.#value(r, at + R.ARG_TAG, writer)]
        break
      case 'setIfVersion':
        args = [this.#written(r, at, writer, seq), r[at + R.VERSION] ?? 0]
        break
      case 'deleteIfVersion':
        args = [r[at + R.VERSION] ?? 0]
        break
      case 'update': {
        const kind = r[at + R.ARG_TAG]
        // A killed update whose callback never ran cannot have changed anything.
        if (kind === UpdateKind.notRun && pending) return undefined
        args = [kind === UpdateKind.restart ? RESTART : INCREMENT]
        break
      }
      default:
        args = NO_ARGS
    }
    const key = this.#keyName(r[at + R.KEY] ?? 0)
    const call = r[at + R.CALL] ?? 0
    if (pending) return { thread: writer, key, op: name, args, call }
    const flag = r[at + R.FLAG] === 1
    let result: unknown
    switch (name) {
      case 'get':
      case 'getOrCompute':
      case 'update':
        result = this.#value(r, at + R.RES_TAG, writer)
        break
      case 'loadOrStore':
      case 'loadAndDelete':
        result = { value: this.#value(r, at + R.RES_TAG, writer), loaded: flag }
        break
      case 'swap':
        result = { previous: this.#value(r, at + R.RES_TAG, writer), loaded: flag }
        break
      case 'getVersioned':
        result = flag ? { value: this.#value(r, at + R.RES_TAG, writer), version: r[at + R.VERSION] ?? 0 } : undefined
        break
      case 'has':
      case 'delete':
      case 'compareAndSwap':
      case 'compareAndDelete':
      case 'setIfVersion':
      case 'deleteIfVersion':
        result = flag
        break
      default:
        result = undefined
    }
    return { thread: writer, key, op: name, args, result, call, ret }
  }

  /** The value the operation at r[at] writes. */
  #written(r: Float64Array, at: number, writer: number, seq: number): unknown {
    return decodeValue(Tag.value, writer, seq, r[at + R.LENGTH] ?? 0)
  }

  /** The value referenced at r[at] (tag), r[at + 1], r[at + 2], r[at + 3]. */
  #value(r: Float64Array, at: number, writer: number): unknown {
    const tag = r[at] ?? 0
    const a = r[at + 1] ?? 0
    if (tag === Tag.foreign) return this.#foreign.get(writer)?.get(a) ?? `<unrecognised value ${a} of thread ${writer}>`
    return decodeValue(tag, a, r[at + 2] ?? 0, r[at + 3] ?? 0)
  }

  /** Key names, shared by all operations on a key. */
  #keyName(index: number): string {
    let name = this.#keyNames.get(index)
    if (name === undefined) this.#keyNames.set(index, (name = keyName(index)))
    return name
  }
}

/** Final reads: one `get` per kept key, answered by the probe's snapshot. */
export function finalReads(keys: readonly number[], finals: ReadonlyArray<readonly [number, unknown]>, call: number, ret: number): Operation[] {
  const values = new Map(finals)
  return keys.map((index) => ({ thread: FINAL_READER, key: keyName(index), op: 'get', args: [], result: values.get(index), call, ret }))
}
