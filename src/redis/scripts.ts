/**
 * The Lua scripts of RedisMap: one per operation, each run as one atomic script on the
 * primary of one bucket (KEYS[1] its hash, KEYS[2] its deadline ZSET, KEYS[3] its version
 * hash, KEYS[4] a lease key where named), so every single-key operation is atomic and, on
 * one primary, linearizable.
 *
 * Versions (getVersioned / setIfVersion / deleteIfVersion, SharedMap's semantics). The
 * version hash holds, per present field, the field's version, and under the field ''
 * (no encoded key is empty: a field starts with its kind byte) the bucket's counter.
 * put() is the only way an entry is written, and it gives the field HINCRBY counter 1,
 * in the same script as the write; drop() and the TTL emulation's deletes remove the
 * field's version with the entry, and under native expiry the version field has its
 * entry's deadline (ttl-preludes.ts). So a present key's version rises with every write and
 * never repeats, not across a delete and a re-insert (the counter only rises) nor across
 * clear(), which keeps the counter. An absent key has no version (ABSENT_VERSION, 0, the
 * counter's first value being 1). Versions are compared as the decimal strings stored,
 * never as Lua floats; Lua writes a number in plain decimal below 10^14, so that is the
 * bound on a bucket's writes (past it a version could be written with an exponent: a
 * setIfVersion would then fail, a conflict where there was none, never a false match).
 *
 * TTL: every operation script exists once per TTL scheme (MapScript): the emulation on a
 * deadline ZSET and the server's per-field expiry (HPEXPIRE) share their bodies and differ
 * in the prelude that defines live(), put(), drop() and expire() (ttl-preludes.ts); the
 * few bodies that read deadlines or count entries have one text per scheme. Either way
 * the one clock is the server's: client clocks never matter.
 *
 * Replies are arrays, never RESP3 maps, so fields and values stay binary.
 */
import { createHash } from 'node:crypto'
import { EMULATED_PRELUDE, NATIVE_PRELUDE, SWEEP } from './ttl-preludes.js'
import type { TtlScheme } from './ttl-scheme.js'

export interface Script {
  readonly name: string
  readonly source: string
  readonly sha: string
  /**
   * Whether it writes entries (not just removes expired ones, or a lease): a failure
   * without a reply then may or may not have changed the map (driver.ts), and a map with
   * `durability` waits for replicas after it.
   */
  readonly writes: boolean
  /**
   * Whether it only reads (no lazy expiry either), so that it may be sent as
   * EVALSHA_RO / EVAL_RO and served by a replica (replica-scripts.ts).
   */
  readonly readOnly?: boolean
}

function script(name: string, source: string, writes: boolean): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex'), writes }
}

/** A script of a map's bucket, in the text of each TTL scheme; RedisContext.run picks the map's. */
export interface MapScript extends Record<TtlScheme, Script> {
  readonly name: string
  readonly writes: boolean
}

/** body: one text for both schemes, or one per scheme; each is run after its scheme's prelude. */
function mapScript(name: string, body: string | Readonly<Record<TtlScheme, string>>, writes: boolean): MapScript {
  const text = (scheme: TtlScheme) => (typeof body === 'string' ? body : body[scheme])
  return { name, writes, emulated: script(name, EMULATED_PRELUDE + text('emulated'), writes), native: script(name, NATIVE_PRELUDE + text('native'), writes) }
}

/** ARGV: field. Reply: the value or nil. */
export const GET = mapScript('get', `return live(ARGV[1])`, false)

/** ARGV: field. Reply: 1 if present. */
export const HAS = mapScript('has', `if live(ARGV[1]) then return 1 end return 0`, false)

/** ARGV: field. Reply: remaining ms, -1 for never, -2 when absent. */
export const TTL = mapScript(
  'ttl',
  {
    emulated: `if not live(ARGV[1]) then return -2 end
local d = redis.call('ZSCORE', ttls, ARGV[1])
if not d then return -1 end
return tonumber(d) - now`,
    native: `return redis.call('HPTTL', data, 'FIELDS', 1, ARGV[1])[1]`,
  },
  false,
)

/** ARGV: field, value, life (ms; 0 never). */
export const SET = mapScript('set', `expire(${SWEEP}) put(ARGV[1], ARGV[2], tonumber(ARGV[3])) return 1`, true)

/** ARGV: field. Reply: 1 if it was present. */
export const DELETE = mapScript('delete', `if live(ARGV[1]) then drop(ARGV[1]) return 1 end return 0`, true)

/** ARGV: field, value, life. Reply: {1, present value} or {0} after storing value. */
export const LOAD_OR_STORE = mapScript(
  'loadOrStore',
  `expire(${SWEEP})
local v = live(ARGV[1])
if v then return {1, v} end
put(ARGV[1], ARGV[2], tonumber(ARGV[3]))
return {0}`,
  true,
)

/** ARGV: field. Reply: {1, removed value} or {0}. */
export const LOAD_AND_DELETE = mapScript(
  'loadAndDelete',
  `local v = live(ARGV[1])
if v then drop(ARGV[1]) return {1, v} end
return {0}`,
  true,
)

/** ARGV: field, value, life. Reply: {1, previous value} or {0}. */
export const SWAP = mapScript(
  'swap',
  `expire(${SWEEP})
local v = live(ARGV[1])
put(ARGV[1], ARGV[2], tonumber(ARGV[3]))
if v then return {1, v} end
return {0}`,
  true,
)

/**
 * The conditional write under compareAndSwap, compareAndDelete and update's commit.
 * ARGV: field, expectPresent ('1': the value must be ARGV[3] byte for byte; '0': the key
 * must be absent), expected, store ('1': put ARGV[5]; '0': delete), next, life.
 * Reply: {1} if the condition held (and the write happened); else {0, the value now} or
 * {0} when absent, which update() takes as its next read.
 */
export const COMPARE_AND_SET = mapScript(
  'compareAndSet',
  `local v = live(ARGV[1])
if ARGV[2] == '1' then
  if v ~= ARGV[3] then return {0, v} end
elseif v then
  return {0, v}
end
if ARGV[4] == '1' then
  expire(${SWEEP})
  put(ARGV[1], ARGV[5], tonumber(ARGV[6]))
elseif v then
  drop(ARGV[1])
end
return {1}`,
  true,
)

/** ARGV: field. Reply: {1, value, version} or {0} when absent. */
export const GET_VERSIONED = mapScript(
  'getVersioned',
  `local v = live(ARGV[1])
if not v then return {0} end
return {1, v, redis.call('HGET', versions, ARGV[1])}`,
  false,
)

/**
 * ARGV: field, value, life, version (decimal; '0': only if absent). Stores value if the
 * key's version is still that one. Reply: 1 if stored.
 */
export const SET_IF_VERSION = mapScript(
  'setIfVersion',
  `expire(${SWEEP})
if version(ARGV[1]) ~= ARGV[4] then return 0 end
put(ARGV[1], ARGV[2], tonumber(ARGV[3]))
return 1`,
  true,
)

/** ARGV: field, version (decimal). Removes the key if its version is still that one. Reply: 1 if removed. */
export const DELETE_IF_VERSION = mapScript(
  'deleteIfVersion',
  `if ARGV[2] == '0' or version(ARGV[1]) ~= ARGV[2] then return 0 end
drop(ARGV[1])
return 1`,
  true,
)

/** Reply: how many live entries the bucket has (the emulation first removes its expired ones). */
export const SIZE = mapScript(
  'size',
  // HLEN counts expired fields the server has not reclaimed yet (ttl-preludes.ts): not natively.
  { emulated: `expireAll() return redis.call('HLEN', data)`, native: `return #redis.call('HKEYS', data)` },
  false,
)

/** Removes the bucket's entries and their versions; the counter stays, so no version comes back. */
export const CLEAR = mapScript(
  'clear',
  `local counter = redis.call('HGET', versions, '')
redis.call('DEL', data, ttls, versions)
if counter then redis.call('HSET', versions, '', counter) end
return 1`,
  true,
)

/** The bucket's live entries as a flat [field, value, ...] array, at one instant. */
export const ENTRIES = mapScript('entries', `expireAll() return redis.call('HGETALL', data)`, false)

/**
 * One HSCAN page of the bucket with the expired pairs left out. ARGV: cursor, count.
 * Reply: {next cursor, {field, value, ...}}.
 */
export const SCAN = mapScript(
  'scan',
  {
    emulated: `expire(tonumber(ARGV[2]))
local page = redis.call('HSCAN', data, ARGV[1], 'COUNT', ARGV[2])
local out = {}
local flat = page[2]
for i = 1, #flat, 2 do
  local d = redis.call('ZSCORE', ttls, flat[i])
  if not d or tonumber(d) > now then
    out[#out + 1] = flat[i]
    out[#out + 1] = flat[i + 1]
  end
end
return {page[1], out}`,
    // HSCAN leaves out the fields that have expired, reclaimed or not.
    native: `return redis.call('HSCAN', data, ARGV[1], 'COUNT', ARGV[2])`,
  },
  false,
)

/**
 * getOrComputeAsync's first step. KEYS[4]: the key's lease. ARGV: field, token, lease ms.
 * Reply: {1, value} when present; {0} when this caller now holds the lease; {2, pttl}
 * when another holds it.
 */
export const COMPUTE_BEGIN = mapScript(
  'computeBegin',
  `local v = live(ARGV[1])
if v then return {1, v} end
if redis.call('SET', KEYS[4], ARGV[2], 'NX', 'PX', ARGV[3]) then return {0} end
return {2, redis.call('PTTL', KEYS[4])}`,
  false,
)

/**
 * getOrComputeAsync's commit: stores the value only if the key is still absent (so at
 * most one value is ever stored, lease or no lease) and releases the lease if it is still
 * this token's. ARGV: field, token, value, life. Reply: {1, present value} or {0} (stored).
 */
export const COMPUTE_COMMIT = mapScript(
  'computeCommit',
  `local v = live(ARGV[1])
if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
if v then return {1, v} end
expire(${SWEEP})
put(ARGV[1], ARGV[3], tonumber(ARGV[4]))
return {0}`,
  true,
)

/** KEYS[1]: a lease. ARGV: token, lease ms. Extends the lease if it is still this token's. */
export const LEASE_RENEW = script(
  'leaseRenew',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  false,
)

/** KEYS[1]: a lease. ARGV: token. Deletes the lease if it is still this token's. */
export const LEASE_RELEASE = script(
  'leaseRelease',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  false,
)

/**
 * KEYS[1]: the map's meta hash. ARGV: codec id, buckets, layout version, TTL scheme.
 * Records them if the map is new; replies with what the map has (compared by the client).
 * A map made before the scheme was recorded has no 'ttl' field (nil): it is emulated.
 */
export const META = script(
  'meta',
  `local got = redis.call('HMGET', KEYS[1], 'codec', 'buckets', 'layout', 'ttl')
if not got[1] then
  redis.call('HSET', KEYS[1], 'codec', ARGV[1], 'buckets', ARGV[2], 'layout', ARGV[3], 'ttl', ARGV[4])
  return {ARGV[1], ARGV[2], ARGV[3], ARGV[4]}
end
return got`,
  false,
)

/**
 * KEYS[1]: a bucket's hash, so that in a cluster the script runs on that bucket's primary.
 * Reply: 1 if this client may use per-field expiry there, else 0. It runs HPTTL, the
 * command the native scheme reads with, under pcall: a server without it and a user whose
 * ACL denies it both answer an error, so either falls back to the emulation (asking
 * COMMAND INFO instead failed every call for users denied COMMAND).
 */
export const NATIVE_EXPIRY = script(
  'nativeExpiry',
  `local got = redis.pcall('HPTTL', KEYS[1], 'FIELDS', 1, '')
if type(got) == 'table' and got.err then return 0 end
return 1`,
  false,
)
