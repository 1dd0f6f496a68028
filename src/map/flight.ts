/**
 * Computations in flight: the shared-memory side of getOrComputeAsync
 * (compute-async.ts has the waiting and the callbacks).
 *
 * A computation is a pending record in the key's slot: a record of the key whose
 * value tag is PENDING (values.ts) and whose value words are
 *   0 owner: the owner id (threadId + 1) of the computing thread
 *   1 token: a number handed out by header word 32, unique to this attempt
 *   2-3 lease: Date.now() ms (hi, lo) after which the attempt is given up (0: none)
 *   4 waiters: threads of other attempts' callers waiting for it (Atomics.add under
 *     the shard lock; no reader reads it)
 * Every read treats it as absent; it takes no place in the bound or the eviction
 * queue, has no deadline, and is not counted in the size (shard word PENDING). A
 * write to the key replaces it like any absent key's slot: the computation's result
 * is then dropped, since only the attempt whose token is still there installs it.
 *
 * Whenever a pending record goes (installed, failed, replaced, cleared) the shard's
 * flights word moves and is notified; waiters wait on it with Atomics.waitAsync and
 * look again. A rejected attempt leaves its error in the shard (words FAIL_TOKEN,
 * FAIL_LEFT, FAIL_ERROR: one at a time per shard) for the waiters counted in its
 * record; the last to read it frees it, and a later failure in the shard replaces
 * it (waiters that had not looked yet then compute again).
 */
import { keyKind, structuredCodec, type Key, type KeyKind } from '../codec/index.js'
import { reviveError, serializeError, type SerializedError } from '../errors/transfer.js'
import { H, R_KEY, R_KEY_BYTES, S, align4, metaOf } from './layout.js'
import type { MapCore } from './core.js'
import { putLocked } from './write.js'
import { ValueTag } from './values.js'

const W = { OWNER: 0, TOKEN: 1, LEASE_HI: 2, LEASE_LO: 3, WAITERS: 4 } as const
const FLIGHT_BYTES = 20

/** What a key's slot holds, for getOrComputeAsync, under its shard's lock. */
export type Slot =
  | { readonly state: 'absent' }
  | { readonly state: 'value'; readonly record: number }
  | { readonly state: 'pending'; readonly slot: number; readonly owner: number; readonly token: number; readonly lease: number; readonly waitersAt: number }

export function slotStateLocked(core: MapCore, slot: number): Slot {
  return slot < 0 ? { state: 'absent' } : recordStateLocked(core, core.arena.u32[slot + 1] ?? 0, slot)
}

/** The same from the key's record (0: absent), for callers that make no change (slot -1). */
export function recordStateLocked(core: MapCore, record: number, slot = -1): Slot {
  if (record === 0) return { state: 'absent' }
  const u32 = core.arena.u32
  if (core.values.tagOfRecord(record, false) !== ValueTag.pending) return { state: 'value', record }
  const at = payloadAt(u32, record)
  return {
    state: 'pending',
    slot,
    owner: u32[at + W.OWNER] ?? 0,
    token: u32[at + W.TOKEN] ?? 0,
    lease: (u32[at + W.LEASE_HI] ?? 0) * 2 ** 32 + (u32[at + W.LEASE_LO] ?? 0),
    waitersAt: at + W.WAITERS,
  }
}

function payloadAt(u32: Uint32Array, record: number): number {
  return (record + R_KEY + align4(u32[(record >>> 2) + (R_KEY_BYTES >>> 2)] ?? 0)) >>> 2
}

export function nextToken(core: MapCore): number {
  return (Atomics.add(core.arena.i32, H.FLIGHT_TOKEN, 1) + 1) >>> 0 || nextToken(core)
}

/** Publishes an attempt's pending record in slot (-1: the key is absent). Inside a change. */
export function publishFlightLocked(core: MapCore, fields: number, slot: number, key: Key, owner: number, token: number, lease: number): void {
  const payload = new Uint32Array(FLIGHT_BYTES >>> 2)
  payload[W.OWNER] = owner
  payload[W.TOKEN] = token
  payload[W.LEASE_HI] = Math.floor(lease / 2 ** 32)
  payload[W.LEASE_LO] = lease >>> 0
  const kind: KeyKind = keyKind(key)
  putLocked(core, fields, slot, key, kind, core.hash(key, kind), new Uint8Array(payload.buffer), 0, false, true)
}

/** The current-table slot of key, for a caller holding its shard inside a change. */
export function locateKeyLocked(core: MapCore, fields: number, key: Key): number {
  const kind = keyKind(key)
  return core.tables.locateLocked(fields, key, kind, metaOf(core.hash(key, kind)))
}

/** The record of key (0: absent), for a caller holding its shard. */
export function findKeyLocked(core: MapCore, fields: number, key: Key): number {
  const kind = keyKind(key)
  return core.tables.find(fields, key, kind, metaOf(core.hash(key, kind)))
}

/** Errors travel between threads through the structured codec, which keeps more than JSON would. */
const errorCodec = structuredCodec

/** Keeps a rejected attempt's error for the `left` waiters that will look for it. */
export function storeFailureLocked(core: MapCore, fields: number, token: number, left: number, error: unknown): void {
  dropFailureLocked(core, fields)
  if (left <= 0) return
  let bytes: Uint8Array
  let block: number
  try {
    bytes = errorCodec.encode(serializeError(error))
    block = core.arena.allocLocked(fields, 4 + bytes.length)
  } catch {
    // An error that cannot be kept (or no room for it): its waiters find no outcome and compute again.
    return
  }
  const arena = core.arena
  const words = new Uint32Array(align4(bytes.length) >>> 2)
  new Uint8Array(words.buffer).set(bytes)
  arena.store(block >>> 2, bytes.length)
  words.forEach((word, i) => arena.store((block >>> 2) + 1 + i, word))
  const u32 = arena.u32
  u32[fields + S.FAIL_TOKEN] = token
  u32[fields + S.FAIL_LEFT] = left
  u32[fields + S.FAIL_ERROR] = block
}

/** The error of the failed attempt `token`, if the shard still keeps it (one waiter fewer to read it). */
export function takeFailureLocked(core: MapCore, fields: number, token: number): Error | undefined {
  const { u32, u8 } = core.arena
  const block = u32[fields + S.FAIL_ERROR] ?? 0
  if (block === 0 || u32[fields + S.FAIL_TOKEN] !== token) return undefined
  const record = errorCodec.decode(u8.slice(block + 4, block + 4 + (u32[block >>> 2] ?? 0))) as SerializedError
  const left = (u32[fields + S.FAIL_LEFT] ?? 0) - 1
  if (left <= 0) dropFailureLocked(core, fields)
  else u32[fields + S.FAIL_LEFT] = left
  return reviveError(record)
}

function dropFailureLocked(core: MapCore, fields: number): void {
  const u32 = core.arena.u32
  const block = u32[fields + S.FAIL_ERROR] ?? 0
  if (block === 0) return
  core.arena.freeLocked(fields, block, 4 + (u32[block >>> 2] ?? 0))
  u32[fields + S.FAIL_TOKEN] = 0
  u32[fields + S.FAIL_LEFT] = 0
  u32[fields + S.FAIL_ERROR] = 0
}
