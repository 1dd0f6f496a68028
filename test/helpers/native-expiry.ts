// Servers for the tests of RedisMap's two TTL schemes: whether a redis-server has per-field
// expiry (HPEXPIRE, Redis >= 7.4), and one that has it, when CONMAP_REDIS_SERVER names such a
// build (Debian 12 and CI ship 7.0.15, which has not).
import { REDIS_SERVER, startRedis, type RedisServer } from './redis-servers.js'

export const NATIVE_SKIP = 'no redis-server with HPEXPIRE: set CONMAP_REDIS_SERVER to one (Redis >= 7.4)'

/** Whether server knows HPEXPIRE (COMMAND INFO answers an empty entry for an unknown command). */
export async function hasNativeExpiry(server: RedisServer): Promise<boolean> {
  return (await server.cli(['command', 'info', 'hpexpire'])).includes('hpexpire')
}

/** A server with HPEXPIRE from REDIS_SERVER, or undefined (after stopping it) when it has none. */
export async function startNativeRedis(): Promise<RedisServer | undefined> {
  const server = await startRedis([], REDIS_SERVER)
  if (await hasNativeExpiry(server)) return server
  await server.stop()
  return undefined
}

/** The Debian redis-server on PATH, whatever CONMAP_REDIS_SERVER says. */
export function startPathRedis(): Promise<RedisServer> {
  return startRedis([], 'redis-server')
}
