/**
 * The two TTL schemes of RedisMap, as the Lua preludes its scripts start with (scripts.ts).
 * A map runs on one scheme for its whole life: the meta hash records it when the map is
 * made, and a client that would use the other one is refused (ttl-scheme.ts).
 *
 * Both preludes define the same helpers, so most operation bodies are shared:
 *   live(f)       the value of f, or false when absent or expired
 *   put(f,v,life) writes f (life ms, 0 for never) and gives it the bucket's next version
 *   drop(f)       removes f and its version
 *   version(f)    f's version, '0' when absent
 *   expire(n)     removes up to n expired fields of the bucket (a no-op where the server does it)
 *   expireAll()   removes every expired field of the bucket (likewise)
 * KEYS[1] is the bucket's hash, KEYS[2] its deadline ZSET (emulated only), KEYS[3] its
 * version hash.
 *
 * Emulated (any Redis; Debian 12 ships 7.0.15, without per-field expiry). A field with a
 * deadline has it in the ZSET, scored in ms of the server's clock (TIME inside the
 * script: Redis 7 replicates a script's effects, not the script, so reading the clock is
 * allowed and replicas apply the same outcome). A field whose deadline has come is absent
 * to every script: the one that meets it deletes it (live()). Every write first removes up
 * to SWEEP expired fields of its bucket (expire()), so a bucket that is written keeps
 * shrinking; size() and snapshot() remove all of a bucket's expired fields before counting,
 * so their counts are exact. A bucket nobody touches keeps its expired fields (and their
 * memory) until the next script on it: there is no sweeper.
 *
 * Native (Redis >= 7.4, Valkey >= 9: HPEXPIRE). A field with a ttl has it as the server's
 * own per-field expiry, and so has its version field, with the same HPEXPIRE in the same
 * script. Both count from commandTimeSnapshot(), which is frozen for a whole script
 * (server.c: "in the context of scripts, where we pretend that time freezes"), so both
 * get one deadline and expire together: a present key always has its version. The
 * server hides an expired field from HGET, HEXISTS, HGETALL, HKEYS and HSCAN, deletes it
 * when HGET or HEXISTS meets it (lazy) and reclaims the rest in the background (active
 * expiry, as for keys), so memory is given back without any client. HLEN is the exception: it counts expired fields not
 * yet reclaimed (hlenCommand calls hashTypeLength without subtracting them), so size()
 * counts HKEYS instead: exact, and O(entries of the bucket) on the server. HSET on a present
 * field drops its expiry (hashTypeSet without HASH_SET_KEEP_TTL; HINCRBY keeps it), which is
 * what a write without a ttl means here, as in the emulation. A write with a ttl first runs
 * HPTTL, a read, so that on a server without per-field expiry (a failover onto an older
 * node) the script fails before it writes anything.
 */

/** Expired fields a write removes from its bucket before it runs (emulated scheme). */
export const SWEEP = 16

/** version(f), the same text in both schemes: live() is each scheme's own. */
const VERSION = `
local function version(f)
  if live(f) then return redis.call('HGET', versions, f) end
  return '0'
end
`

export const EMULATED_PRELUDE = `
local data, ttls, versions = KEYS[1], KEYS[2], KEYS[3]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function expire(limit)
  local gone = redis.call('ZRANGEBYSCORE', ttls, '-inf', now, 'LIMIT', 0, limit)
  if #gone > 0 then
    redis.call('HDEL', data, unpack(gone))
    redis.call('ZREM', ttls, unpack(gone))
    redis.call('HDEL', versions, unpack(gone))
  end
  return #gone
end
local function expireAll()
  while expire(1000) == 1000 do end
end
local function live(f)
  local v = redis.call('HGET', data, f)
  if v then
    local d = redis.call('ZSCORE', ttls, f)
    if d and tonumber(d) <= now then
      redis.call('HDEL', data, f)
      redis.call('ZREM', ttls, f)
      redis.call('HDEL', versions, f)
      return false
    end
  end
  return v
end
local function put(f, v, life)
  redis.call('HSET', data, f, v)
  if life > 0 then redis.call('ZADD', ttls, now + life, f) else redis.call('ZREM', ttls, f) end
  redis.call('HSET', versions, f, redis.call('HINCRBY', versions, '', 1))
end
local function drop(f)
  redis.call('HDEL', data, f)
  redis.call('ZREM', ttls, f)
  redis.call('HDEL', versions, f)
end
` + VERSION

export const NATIVE_PRELUDE = `
local data, ttls, versions = KEYS[1], KEYS[2], KEYS[3]
local function expire(limit) return 0 end
local function expireAll() end
local function live(f)
  return redis.call('HGET', data, f)
end
local function put(f, v, life)
  if life > 0 then redis.call('HPTTL', data, 'FIELDS', 1, f) end
  redis.call('HSET', data, f, v)
  redis.call('HSET', versions, f, redis.call('HINCRBY', versions, '', 1))
  if life > 0 then
    redis.call('HPEXPIRE', data, life, 'FIELDS', 1, f)
    redis.call('HPEXPIRE', versions, life, 'FIELDS', 1, f)
  end
end
local function drop(f)
  redis.call('HDEL', data, f)
  redis.call('HDEL', versions, f)
end
` + VERSION
