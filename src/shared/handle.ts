/**
 * Shareable handles. Every conmap object lives in a SharedArrayBuffer; its `.handle`
 * is a plain, structured-cloneable record naming the kind, the buffer, where in it
 * the object starts, and the process's thread registry (see sync/threads.ts).
 *
 * The first word of every object is a magic number that names its kind, so that
 * `X.attach(handle)` rejects forged records, foreign buffers and handles of another
 * kind with ERR_INVALID_HANDLE instead of reading garbage as lock state.
 *
 *   word 0: MAGIC_BASE | kind id     (0x636d = 'cm' in the top half)
 *   word 1..: the object's own layout
 */
import { conmapError, ErrorCode } from '../errors/index.js'

export const Kind = {
  Mutex: 'Mutex',
  RWMutex: 'RWMutex',
  WaitGroup: 'WaitGroup',
  Once: 'Once',
  Semaphore: 'Semaphore',
  Registry: 'Registry',
  SharedMap: 'SharedMap',
  SharedKeyedMutex: 'SharedKeyedMutex',
  CircuitBreaker: 'CircuitBreaker',
  AuditLog: 'AuditLog',
} as const
export type Kind = (typeof Kind)[keyof typeof Kind]

const MAGIC_BASE = 0x636d0000
const kindId: Readonly<Record<Kind, number>> = {
  Mutex: 1,
  RWMutex: 2,
  WaitGroup: 3,
  Once: 4,
  Semaphore: 5,
  Registry: 6,
  SharedMap: 7,
  SharedKeyedMutex: 8,
  CircuitBreaker: 9,
  AuditLog: 10,
}

export function magicOf(kind: Kind): number {
  return MAGIC_BASE | kindId[kind]
}

export interface Handle<K extends Kind = Kind> {
  readonly conmap: K
  readonly version: 1
  readonly buffer: SharedArrayBuffer
  /** Byte offset of the object's magic word; a multiple of 8. */
  readonly byteOffset: number
  /** The thread registry that owner ids in this object's lock words refer to. */
  readonly registry: SharedArrayBuffer
}

/**
 * What `X.attach()` takes: a handle, or anything holding one as `.handle`: the
 * object itself, or its structured clone (`workerData: map` sends `{ handle }`,
 * since a clone keeps own fields and drops private ones and the prototype).
 */
export type Attachable<H extends Handle> = H | { readonly handle: H }

/** A fresh buffer for a standalone object of `words` 32-bit words (magic included). */
export function allocateWords(kind: Kind, words: number): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(words * 4))
  i32[0] = magicOf(kind)
  return i32
}

export function makeHandle<K extends Kind>(kind: K, i32: Int32Array, registry: SharedArrayBuffer): Handle<K> {
  return { conmap: kind, version: 1, buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset, registry }
}

/**
 * Validates a handle received from another thread (or an Attachable holding one)
 * and returns it with a view of the whole object (index 0 = magic). `minWords` is
 * the smallest layout the kind can have; callers check their size words against
 * the view's length.
 */
export function openHandle<K extends Kind>(kind: K, handle: unknown, minWords: number): { i32: Int32Array; registry: SharedArrayBuffer; handle: Handle<K> } {
  const invalid = (why: string) => conmapError(ErrorCode.INVALID_HANDLE, `not a ${kind} handle: ${why}`)
  if (typeof handle !== 'object' || handle === null) throw invalid(`expected a handle object, got ${handle === null ? 'null' : typeof handle}`)
  const h = handleIn(handle)
  if (h.conmap !== kind) {
    throw invalid(typeof h.conmap === 'string' ? `it is a ${h.conmap} handle` : `it is not a conmap handle: pass the ${kind}'s .handle (or the ${kind} itself)`)
  }
  if (h.version !== 1) throw invalid(`unsupported handle version ${String(h.version)}`)
  if (!(h.buffer instanceof SharedArrayBuffer)) throw invalid('buffer is not a SharedArrayBuffer')
  if (!(h.registry instanceof SharedArrayBuffer)) throw invalid('registry is not a SharedArrayBuffer')
  const offset = h.byteOffset
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + minWords * 4 > h.buffer.byteLength) {
    throw invalid(`byteOffset ${String(offset)} is outside the buffer`)
  }
  const i32 = new Int32Array(h.buffer, offset)
  if (i32[0] !== magicOf(kind)) throw invalid('the buffer does not hold one (magic word mismatch)')
  return { i32, registry: h.registry, handle: h as Handle<K> }
}

/** The handle of an Attachable: an object with no conmap field of its own but a `.handle` is unwrapped once. */
function handleIn(value: object): Partial<Handle> {
  const outer = value as Partial<Handle> & { readonly handle?: unknown }
  if (outer.conmap === undefined && typeof outer.handle === 'object' && outer.handle !== null) return outer.handle as Partial<Handle>
  return outer
}
