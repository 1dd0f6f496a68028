/**
 * The read scripts RedisMap sends with `reads: 'replica'`: read-only twins of GET, HAS,
 * TTL, GET_VERSIONED, SIZE and ENTRIES (scripts.ts), in both TTL schemes, flagged readOnly
 * so that the driver sends them as EVALSHA_RO / EVAL_RO (Redis >= 7.0), which the clients
 * route to replicas (node-redis `useReplicas`, ioredis `scaleReads`) and which a replica
 * serves.
 *
 * Native scheme (ttl-preludes.ts): those scripts already only read (the server hides and
 * reclaims expired fields itself), so their twins are the same texts, flagged.
 *
 * Emulated scheme: a read-only script may not write, and a replica may not either, so these
 * leave an expired field in place where the primary's scripts delete it: the field is
 * absent to them all the same (live() compares its deadline with the clock), and the
 * primary's next script on it deletes it. SIZE counts the hash less the deadlines that have
 * passed, which is exact because every field of the deadline set is a field of the hash
 * (the scripts write and delete the two together). The clock is the serving node's TIME:
 * a replica's clock, where it serves.
 *
 * Keys as in scripts.ts: KEYS[1] the bucket's hash, KEYS[2] its deadline set, KEYS[3] its
 * version hash.
 */
import { createHash } from 'node:crypto'
import { ENTRIES, GET, GET_VERSIONED, HAS, SIZE, TTL, type MapScript, type Script } from './scripts.js'

const PRELUDE = `
local data, ttls, versions = KEYS[1], KEYS[2], KEYS[3]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function live(f)
  local v = redis.call('HGET', data, f)
  if v then
    local d = redis.call('ZSCORE', ttls, f)
    if d and tonumber(d) <= now then return false end
  end
  return v
end
`

/** The read-only twin of primary: body after the read-only emulated prelude, primary's native text as it is. */
function replicaScript(primary: MapScript, emulatedBody: string): MapScript {
  const source = PRELUDE + emulatedBody
  const emulated: Script = { name: primary.name, source, sha: createHash('sha1').update(source).digest('hex'), writes: false, readOnly: true }
  return { name: primary.name, writes: false, emulated, native: { ...primary.native, readOnly: true } }
}

/** ARGV: field. Reply: the value or nil. */
export const GET_RO = replicaScript(GET, `return live(ARGV[1])`)

/** ARGV: field. Reply: 1 if present. */
export const HAS_RO = replicaScript(HAS, `if live(ARGV[1]) then return 1 end return 0`)

/** ARGV: field. Reply: remaining ms, -1 for never, -2 when absent. */
export const TTL_RO = replicaScript(
  TTL,
  `if not live(ARGV[1]) then return -2 end
local d = redis.call('ZSCORE', ttls, ARGV[1])
if not d then return -1 end
return tonumber(d) - now`,
)

/** ARGV: field. Reply: {1, value, version} or {0} when absent. */
export const GET_VERSIONED_RO = replicaScript(
  GET_VERSIONED,
  `local v = live(ARGV[1])
if not v then return {0} end
return {1, v, redis.call('HGET', versions, ARGV[1])}`,
)

/** Reply: the bucket's live entries. */
export const SIZE_RO = replicaScript(SIZE, `return redis.call('HLEN', data) - redis.call('ZCOUNT', ttls, '-inf', now)`)

/** The bucket's live entries as a flat [field, value, ...] array, at one instant. */
export const ENTRIES_RO = replicaScript(
  ENTRIES,
  `local gone = {}
for _, f in ipairs(redis.call('ZRANGEBYSCORE', ttls, '-inf', now)) do gone[f] = true end
local flat = redis.call('HGETALL', data)
local out = {}
for i = 1, #flat, 2 do
  if not gone[flat[i]] then
    out[#out + 1] = flat[i]
    out[#out + 1] = flat[i + 1]
  end
end
return out`,
)

/** The scripts of the read operations, by the `reads` option. */
export const READ_SCRIPTS = {
  primary: { get: GET, has: HAS, ttl: TTL, getVersioned: GET_VERSIONED, size: SIZE, entries: ENTRIES },
  replica: { get: GET_RO, has: HAS_RO, ttl: TTL_RO, getVersioned: GET_VERSIONED_RO, size: SIZE_RO, entries: ENTRIES_RO },
} as const satisfies Record<'primary' | 'replica', Record<string, MapScript>>
