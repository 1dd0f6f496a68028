/**
 * AuditLog: a fixed ring of the last calls in shared memory, written by every
 * thread and copied out by any thread without a lock.
 *
 * Layout (Int32 words):
 *   0  magic (shared/handle.ts)
 *   1  ENTRIES   slots, a power of two
 *   2  MODE      0: keys are stored as their hash; 1: as text (at most KEY_BYTES of UTF-8)
 *   3  SEED0, 4 SEED1: the seed of the key hash (HalfSipHash, codec/hash.ts), random per log
 *   5  HEAD      the next ticket (Atomics.add; mod 2^32)
 *   6  DROPPED   entries given up: their slot was still being written by an earlier lap
 *   7-15 pad, so that slots start on a 64-byte line
 *   16 slots, SLOT_WORDS each (8 in hash mode; 8 + KEY_WORDS = 24 with text):
 *      0 SEQ      the slot's seqlock: 0 never written; 2t+1 while ticket t writes it;
 *                 2t+2 once written (mod 2^32)
 *      1 TIME_HI, 2 TIME_LO   µs since the Unix epoch (sharedNow), split at 2^32
 *      3 THREAD   the writer's threadId
 *      4 OP       index of the operation in ops.ts
 *      5 OUTCOME  index in `outcomes` ('ok', 'aborted', 'error', then every ErrorCode)
 *      6 WAIT     µs the call waited for locks, saturated at 2^31 - 1
 *      7 KEY      hash mode: the key's 32-bit hash (0xfffffffe for 0xffffffff); text mode:
 *                 bytes of text | TRUNCATED; NO_KEY (-1) for an operation without a key
 *      8.. text mode: KEY_WORDS words of UTF-8
 *
 * Writing: ticket t = Atomics.add(HEAD) picks slot t mod ENTRIES. The writer claims
 * the slot by CAS of SEQ from the even value it holds to 2t+1 (first trying the value
 * the slot's last lap left, 2(t - ENTRIES) + 2, so that the common claim is one CAS),
 * only if that value is older than its own (a writer of a later lap that got there first wins, and a
 * slot still odd is another writer's), loads SEQ once more, writes the fields with
 * plain stores, then stores 2t+2 with Atomics.store. A writer that cannot claim drops
 * its entry (counted): writers never wait.
 * Reading: for each ticket of the last lap, load SEQ, expect 2t+2, load the fields,
 * load SEQ again, all with Atomics.load; an entry is returned only if SEQ did not
 * move. An entry is never returned torn: a field store of a later writer is visible
 * only after that writer's claim is, so a reader that saw it sees SEQ moved on its
 * second load. The fields are plain stores (an Atomics.store is a builtin call and a
 * fence each: seven of them were a third of a guarded get with a log), ordered by
 * the hardware V8 runs shared memory on: x64 keeps stores in order and the claim's
 * locked CAS is a full fence; on arm64 the claim is a store-release and the load of
 * SEQ after it a load-acquire, which no later access passes and which waits for the
 * store-release before it (ARMv8's RCsc acquire/release); the final Atomics.store is
 * a release on both. V8 keeps plain typed-array stores in program order around the
 * Atomics builtin calls. The JS memory model itself leaves plain stores that race
 * with loads unordered, so this ordering is V8's and the hardware's, not the spec's.
 */
import { threadId } from 'node:worker_threads'
import { hashKey, keyKind, randomHashSeed, type Key } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { attachStorage, claimStorage } from '../sync/storage.js'
import { sharedNow } from './clock.js'
import { opNames } from './ops.js'

const ENTRIES = 1
const MODE = 2
const SEED0 = 3
const SEED1 = 4
const HEAD = 5
const DROPPED = 6
const SLOTS = 16
const SEQ = 0
const TIME_HI = 1
const TIME_LO = 2
const THREAD = 3
const OP = 4
const OUTCOME = 5
const WAIT = 6
const KEY = 7
const TEXT = 8
/** 64 bytes of key text: most keys whole, and a slot of 24 words (96 bytes). */
const KEY_BYTES = 64
const KEY_WORDS = KEY_BYTES / 4
const TRUNCATED = 0x10000
const NO_KEY = -1
const MAX_ENTRIES = 1 << 20

/** How an audited call ended: 'ok', 'aborted' (the guard's or the call's signal), 'error' (a non-conmap error), or the ConmapError's code. */
export type AuditOutcome = 'ok' | 'aborted' | 'error' | ErrorCode
const outcomes: readonly AuditOutcome[] = ['ok', 'aborted', 'error', ...Object.values(ErrorCode)]
const outcomeIndex = new Map<AuditOutcome, number>(outcomes.map((outcome, index) => [outcome, index]))

/** One call, as the audit log recorded it. */
export interface AuditEntry {
  /** Position in the log (the writer's ticket, mod 2^32): later entries have larger ones. */
  readonly seq: number
  /** When the call ended, in ms since the Unix epoch. */
  readonly time: number
  /** threadId of the thread that made the call. */
  readonly thread: number
  /** The method called ('get', 'set', …). */
  readonly op: string
  /**
   * The key: in a 'hash' log its hash as 8 hex digits (log.hashOf(key) gives the
   * same), in a text log its text (ending in '…' when cut at 64 bytes), undefined for
   * an operation without a key.
   */
  readonly key: string | undefined
  readonly outcome: AuditOutcome
  /** ms the call waited for the map's locks. */
  readonly wait: number
}

/** Options of a new AuditLog. */
export interface AuditLogOptions {
  /**
   * Calls kept: a positive integer up to 2^20, rounded up to a power of two.
   * @default 4096
   */
  readonly entries?: number | undefined
  /**
   * How keys are kept: 'hash' (a seeded hash: no raw keys in memory), or 'text' (up to
   * 64 bytes of UTF-8 of the text each writer makes of the key: guard()'s keys option
   * 'plain' or a redaction function).
   * @default 'hash'
   */
  readonly keys?: 'hash' | 'text' | undefined
}

/** The handle of an AuditLog: structured-cloneable, for AuditLog.attach in another thread. */
export type AuditLogHandle = Handle<typeof Kind.AuditLog>

/**
 * A ring of the last calls in shared memory, shared by every thread that has it:
 * any thread writes entries (guard() writes one per call) and any thread reads them,
 * neither ever locking. Old entries are overwritten; read() copies the ones present.
 *
 * @example
 * ```ts
 * const log = new AuditLog({ entries: 4096, keys: 'hash' })
 * const sessions = guard(map, { audit: log })
 * new Worker(file, { workerData: { map: map.handle, log: log.handle } })
 * for (const entry of log.read()) if (entry.outcome !== 'ok') console.log(entry)
 * ```
 */
export class AuditLog {
  /** Structured-cloneable: send it to a worker and `AuditLog.attach` it there. */
  readonly handle: AuditLogHandle
  /** Slots of the ring: the most entries read() returns. */
  readonly entries: number
  /** Whether keys are kept as their hash or as text. */
  readonly keys: 'hash' | 'text'
  readonly #i32: Int32Array
  readonly #slotWords: number
  readonly #seed0: number
  readonly #seed1: number
  #lastOp = ''
  #lastOpIndex = -1

  /**
   * A new, empty log.
   * @throws ConmapError ERR_INVALID_ARGUMENT for an option out of its range
   * @example
   * ```ts
   * const log = new AuditLog({ entries: 1024, keys: 'text' })   // for guards with keys 'plain' or a redaction
   * ```
   */
  constructor(options: AuditLogOptions = {}) {
    const fresh = options === attachedMarker ? undefined : auditLogConfig(options)
    const { i32, handle } = claimStorage(Kind.AuditLog, () => SLOTS + (fresh?.entries ?? 0) * slotWordsOf(fresh?.text ?? false))
    if (fresh !== undefined) {
      const [seed0, seed1] = randomHashSeed()
      i32[ENTRIES] = fresh.entries
      i32[MODE] = fresh.text ? 1 : 0
      i32[SEED0] = seed0
      i32[SEED1] = seed1
    }
    this.handle = handle
    this.#i32 = i32
    this.entries = i32[ENTRIES] ?? 0
    this.keys = i32[MODE] === 1 ? 'text' : 'hash'
    this.#slotWords = slotWordsOf(this.keys === 'text')
    this.#seed0 = i32[SEED0] ?? 0
    this.#seed1 = i32[SEED1] ?? 0
  }

  /**
   * The same log in this thread, from its handle (or the log itself, structured-cloned).
   * @throws ConmapError ERR_INVALID_HANDLE for anything but an AuditLog's handle
   * @example
   * ```ts
   * const log = AuditLog.attach(workerData.log)
   * ```
   */
  static attach(source: Attachable<AuditLogHandle>): AuditLog {
    return attachStorage(
      Kind.AuditLog,
      source,
      SLOTS,
      (i32) => {
        const entries = i32[ENTRIES] ?? 0
        return entries > 0 && (entries & (entries - 1)) === 0 && i32.length >= SLOTS + entries * slotWordsOf(i32[MODE] === 1)
      },
      () => new AuditLog(attachedMarker),
    )
  }

  /** Entries dropped since the log was made: a writer found its slot still being written (the ring is too small for the writers). */
  get dropped(): number {
    return Atomics.load(this.#i32, DROPPED)
  }

  /**
   * The key as a 'hash' log shows it (8 hex digits): to find a key's entries.
   * @throws ConmapError ERR_INVALID_KEY for a key that is no string, number or bigint
   * @example
   * ```ts
   * const mine = log.read().filter((entry) => entry.key === log.hashOf('user:42'))
   * ```
   */
  hashOf(key: Key): string {
    return hex(this.#hash(key))
  }

  /**
   * The entries present, oldest first: at most `entries`, fewer while writers are
   * overwriting the slots being read (an entry is never returned half-written).
   * @example
   * ```ts
   * const failed = log.read().filter((entry) => entry.outcome !== 'ok')
   * ```
   */
  read(): AuditEntry[] {
    const i32 = this.#i32
    const head = Atomics.load(i32, HEAD)
    const mask = this.entries - 1
    const text = this.keys === 'text'
    const out: AuditEntry[] = []
    const bytes = text ? new Uint8Array(KEY_BYTES) : undefined
    const words = bytes === undefined ? undefined : new Int32Array(bytes.buffer)
    for (let n = this.entries; n > 0; n--) {
      const ticket = (head - n) | 0
      const at = SLOTS + (ticket & mask) * this.#slotWords
      const seq = Atomics.load(i32, at + SEQ)
      if (seq === 0 || seq !== ((2 * ticket + 2) | 0)) continue
      const hi = Atomics.load(i32, at + TIME_HI) >>> 0
      const lo = Atomics.load(i32, at + TIME_LO) >>> 0
      const thread = Atomics.load(i32, at + THREAD)
      const op = Atomics.load(i32, at + OP)
      const outcome = Atomics.load(i32, at + OUTCOME)
      const wait = Atomics.load(i32, at + WAIT)
      const key = Atomics.load(i32, at + KEY)
      if (words !== undefined && key !== NO_KEY) for (let w = 0; w < KEY_WORDS; w++) words[w] = Atomics.load(i32, at + TEXT + w)
      if (Atomics.load(i32, at + SEQ) !== seq) continue
      out.push({
        seq: ticket >>> 0,
        time: (hi * 2 ** 32 + lo) / 1000,
        thread,
        op: opNames[op] ?? `#${op}`,
        key: key === NO_KEY ? undefined : bytes === undefined ? hex(key) : keyText(bytes, key),
        outcome: outcomes[outcome] ?? 'error',
        wait: wait / 1000,
      })
    }
    return out
  }

  /**
   * Appends one entry (guard() calls it for every guarded call): never waits, and
   * drops the entry, counting it in `dropped`, if its slot is still being written.
   * `key` is stored as this log keeps keys: a 'hash' log hashes it, a 'text' log
   * keeps its text (give it the text already redacted); undefined for no key.
   * Returns the entry as written when `describe` is true (for a sink), else undefined.
   * @throws ConmapError ERR_INVALID_KEY in a 'hash' log for a key that is no string, number or bigint
   * @example
   * ```ts
   * log.record('get', 'user:42', 'ok', 0)
   * ```
   */
  record(op: string, key: Key | undefined, outcome: AuditOutcome, wait: number, describe = false): AuditEntry | undefined {
    const i32 = this.#i32
    const hash = key === undefined || this.keys === 'text' ? NO_KEY : this.#hash(key)
    const ticket = Atomics.add(i32, HEAD, 1)
    const at = SLOTS + (ticket & (this.entries - 1)) * this.#slotWords
    const mine = (2 * ticket + 1) | 0
    // The slot's last lap published 2(t - ENTRIES) + 2: claimed by one CAS when it did, else judged by what it holds.
    const last = (mine + 1 - 2 * this.entries) | 0
    const seen = Atomics.compareExchange(i32, at + SEQ, last, mine)
    if (seen !== last && ((seen & 1) !== 0 || ((seen - mine) | 0) > 0 || Atomics.compareExchange(i32, at + SEQ, seen, mine) !== seen)) {
      Atomics.add(i32, DROPPED, 1)
      return undefined
    }
    // The fence between the claim and the plain stores of the fields (see the overview).
    Atomics.load(i32, at + SEQ)
    const now = sharedNow()
    const micros = Math.round(now * 1000)
    const waited = Math.min(Math.round(wait * 1000), 2 ** 31 - 1)
    // µs < 2^53, so hi · 2^32 is exact and the difference is the low word (a float `%` is a call into C).
    const hi = Math.floor(micros / 2 ** 32)
    i32[at + TIME_HI] = hi
    i32[at + TIME_LO] = micros - hi * 2 ** 32
    i32[at + THREAD] = threadId
    i32[at + OP] = this.#opIndex(op)
    i32[at + OUTCOME] = outcome === 'ok' ? 0 : (outcomeIndex.get(outcome) ?? 2)
    i32[at + WAIT] = waited
    const text = key === undefined || this.keys === 'hash' ? undefined : typeof key === 'string' ? key : keyAsText(key)
    const stored = text === undefined ? hash : this.#storeText(at, text)
    i32[at + KEY] = stored
    Atomics.store(i32, at + SEQ, (mine + 1) | 0)
    if (!describe) return undefined
    const shown = key === undefined ? undefined : text === undefined ? hex(hash) : keyText(scratch, stored)
    return { seq: ticket >>> 0, time: micros / 1000, thread: threadId, op, key: shown, outcome, wait: waited / 1000 }
  }

  /** op's index in ops.ts, the last one asked for kept: a guarded call site asks for the same name every time. */
  #opIndex(op: string): number {
    if (op !== this.#lastOp) {
      this.#lastOp = op
      this.#lastOpIndex = opIndexOf(op)
    }
    return this.#lastOpIndex
  }

  /** The key's hash as stored: the one hash equal to NO_KEY is stored (and shown) as its neighbour. */
  #hash(key: Key): number {
    const hash = hashKey(key, keyKind(key), this.#seed0, this.#seed1) | 0
    return hash === NO_KEY ? NO_KEY - 1 : hash
  }

  /** Stores text's first KEY_BYTES of UTF-8 (cut between characters) and returns the KEY word for it. */
  #storeText(at: number, text: string): number {
    const { read, written } = encoder.encodeInto(text, scratch)
    scratch.fill(0, written)
    const i32 = this.#i32
    i32.set(scratchWords, at + TEXT)
    return written | (read < text.length ? TRUNCATED : 0)
  }

  get [Symbol.toStringTag](): string {
    return 'AuditLog'
  }
}

const attachedMarker = Object.freeze({}) as AuditLogOptions
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const scratch = new Uint8Array(KEY_BYTES)
const scratchWords = new Int32Array(scratch.buffer)

/** Ops are stored by index; a name outside the table is stored as -1 and read back as '#-1'. */
const opIndex = new Map<string, number>(opNames.map((name, index) => [name, index]))
function opIndexOf(op: string): number {
  return opIndex.get(op) ?? -1
}

function slotWordsOf(text: boolean): number {
  return text ? TEXT + KEY_WORDS : TEXT
}

function hex(hash: number): string {
  return (hash >>> 0).toString(16).padStart(8, '0')
}

function keyText(bytes: Uint8Array, key: number): string {
  const text = decoder.decode(bytes.subarray(0, key & 0xffff))
  return (key & TRUNCATED) !== 0 ? `${text}…` : text
}

/** A key as 'plain' text: numbers as themselves, bigints with their n (so 1, '1' and 1n stay apart only by kind of text). */
export function keyAsText(key: Key): string {
  return typeof key === 'bigint' ? `${key}n` : String(key)
}

/** Checks a new log's options: its size (rounded up) and whether it keeps text. */
export function auditLogConfig(options: AuditLogOptions): { entries: number; text: boolean } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `audit options must be an object, got ${describeValue(options)}`)
  }
  const entries = options.entries ?? 4096
  if (typeof entries !== 'number' || !Number.isInteger(entries) || entries < 1 || entries > MAX_ENTRIES) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `audit.entries must be an integer from 1 to ${MAX_ENTRIES}, got ${describeValue(options.entries)}`)
  }
  const keys: unknown = options.keys ?? 'hash'
  if (keys !== 'hash' && keys !== 'text') throw conmapError(ErrorCode.INVALID_ARGUMENT, `AuditLog keys must be 'hash' or 'text', got ${describeValue(keys)}`)
  return { entries: 2 ** Math.ceil(Math.log2(entries)), text: keys === 'text' }
}
