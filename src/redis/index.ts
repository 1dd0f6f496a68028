/**
 * conmap/redis: the map contract, async, on Redis and Redis Cluster, through node-redis
 * or ioredis (optional peer dependencies: install the one you use).
 */
export { RedisMap, type RedisMapOptions } from './redis-map.js'
export type { TtlMode, TtlScheme } from './ttl-scheme.js'
export type { AsyncConcurrentMap } from '../async-map/types.js'
export { ABSENT_VERSION } from '../map/versions.js'
