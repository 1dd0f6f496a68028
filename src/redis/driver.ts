/**
 * The one small interface RedisMap needs from a Redis client, and its two implementations:
 * node-redis (`redis` / `@redis/client`, a client or a cluster) and ioredis (Redis or
 * Cluster). conmap imports neither library: a client is recognised by its shape, so both
 * stay optional peer dependencies.
 *
 * A driver sends one command to the primary that owns a key (the clients route by key in a
 * cluster and follow MOVED/ASK/TRYAGAIN themselves), with bulk replies as Buffers so that
 * fields and values stay binary. runScript() adds EVALSHA with the EVAL fallback and the
 * rule that a call that got no reply is never sent again: it rejects with
 * ERR_REDIS_INDETERMINATE. Only NOSCRIPT, a reply saying the script did not run, is
 * followed by a second send (EVAL).
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { describeValue } from '../codec/preview.js'
import type { Script } from './scripts.js'

export type RedisArg = string | Buffer

export interface RedisDriver {
  /** 'node-redis' or 'ioredis'. */
  readonly client: string
  /** Whether the client is a cluster client (then the map's default is 64 buckets). */
  readonly cluster: boolean
  /** Sends args to the primary that owns key; bulk replies come as Buffers. */
  send(key: RedisArg, args: readonly RedisArg[]): Promise<unknown>
  /**
   * Sends WAIT on the connection that carried key's writes (undefined where the client
   * cannot: an ioredis Cluster routes a keyless command to any node).
   */
  readonly wait: ((key: RedisArg, replicas: number, ms: number) => Promise<unknown>) | undefined
}

/** The node-redis client shape this module uses (a RedisClientType or RedisClusterType). */
interface NodeRedisClient {
  sendCommand(...args: unknown[]): Promise<unknown>
}

/** The ioredis client shape this module uses (Redis or Cluster). */
interface IoredisClient {
  callBuffer(command: string, args: RedisArg[]): Promise<unknown>
  readonly isCluster?: boolean
  readonly options?: { readonly autoResendUnfulfilledCommands?: boolean; readonly redisOptions?: { readonly autoResendUnfulfilledCommands?: boolean } }
}

/** RESP type 36, the blob string, as Buffer: node-redis's `typeMapping` for binary replies. */
const BINARY = { typeMapping: { 36: Buffer } }

function isIoredis(client: object): client is IoredisClient {
  return typeof (client as Partial<IoredisClient>).callBuffer === 'function'
}

function isNodeRedis(client: object): client is NodeRedisClient {
  return typeof (client as Partial<NodeRedisClient>).sendCommand === 'function'
}

/**
 * The driver for a client: node-redis or ioredis, standalone or cluster, recognised by
 * shape. An ioredis client must be made with `autoResendUnfulfilledCommands: false` (in
 * `redisOptions` for a Cluster): ioredis otherwise sends again, after a reconnect, commands
 * whose replies were lost, and a write could then happen twice.
 * @throws ConmapError ERR_INVALID_ARGUMENT for anything else, or an ioredis client that resends
 */
export function driverFor(client: unknown): RedisDriver {
  if (typeof client !== 'object' || client === null) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `client must be a node-redis or ioredis client, got ${describeValue(client)}`)
  }
  if (isIoredis(client)) return ioredisDriver(client)
  if (isNodeRedis(client)) return nodeRedisDriver(client)
  throw conmapError(ErrorCode.INVALID_ARGUMENT, 'client must be a node-redis client or cluster (createClient / createCluster) or an ioredis Redis or Cluster')
}

function nodeRedisDriver(client: NodeRedisClient): RedisDriver {
  // A cluster's sendCommand takes (firstKey, isReadonly, args, options); a client's (args, options).
  const cluster = 'masters' in client
  return {
    client: 'node-redis',
    cluster,
    send: cluster ? (key, args) => client.sendCommand(key, false, args, BINARY) : (_key, args) => client.sendCommand(args, BINARY),
    wait: cluster
      ? (key, replicas, ms) => client.sendCommand(key, false, ['WAIT', String(replicas), String(ms)])
      : (_key, replicas, ms) => client.sendCommand(['WAIT', String(replicas), String(ms)]),
  }
}

function ioredisDriver(client: IoredisClient): RedisDriver {
  const cluster = client.isCluster === true
  const resend = cluster ? client.options?.redisOptions?.autoResendUnfulfilledCommands : client.options?.autoResendUnfulfilledCommands
  if (resend !== false) {
    throw conmapError(
      ErrorCode.INVALID_ARGUMENT,
      `an ioredis client needs autoResendUnfulfilledCommands: false${cluster ? ' in redisOptions' : ''}: otherwise a write whose reply was lost is sent again after a reconnect`,
    )
  }
  return {
    client: 'ioredis',
    cluster,
    send: (_key, args) => client.callBuffer(args[0] as string, args.slice(1)),
    wait: cluster ? undefined : (_key, replicas, ms) => client.callBuffer('WAIT', [String(replicas), String(ms)]),
  }
}

/** Whether err is the server's error reply (the command ran, or was refused, on the server). */
export function isReplyError(err: unknown): err is Error {
  // node-redis: ErrorReply and its subclasses; ioredis: ReplyError (redis-errors).
  for (let proto = err; typeof proto === 'object' && proto !== null; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name
    if (name === 'ErrorReply' || name === 'ReplyError') return true
  }
  return false
}

function noScript(err: unknown): boolean {
  return isReplyError(err) && err.message.startsWith('NOSCRIPT')
}

/** What a failure without a reply becomes. */
function indeterminate(script: Pick<Script, 'name' | 'writes'>, cause: unknown): Error {
  const what = script.writes ? 'it may or may not have happened, and it was not sent again' : 'it returned nothing'
  return conmapError(ErrorCode.REDIS_INDETERMINATE, `RedisMap ${script.name}: no reply from the server (${cause instanceof Error ? cause.message : describeValue(cause)}): ${what}`, cause)
}

function withTimeout<T>(promise: Promise<T>, ms: number, script: Pick<Script, 'name' | 'writes'>): Promise<T> {
  const bounded =
    ms === Infinity
      ? promise
      : new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms)
          promise.then(
            (value) => (clearTimeout(timer), resolve(value)),
            (err: unknown) => (clearTimeout(timer), reject(err)),
          )
        })
  return bounded.catch((err: unknown) => {
    throw isReplyError(err) ? err : indeterminate(script, err)
  })
}

/**
 * Runs script on the primary of keys[0]: EVALSHA, and EVAL if that server does not have it
 * (a new server, SCRIPT FLUSH, a failover). The server's error replies reject as the client
 * gives them; no reply within timeoutMs, or a lost connection, rejects with
 * ERR_REDIS_INDETERMINATE.
 */
export async function runScript(driver: RedisDriver, script: Script, keys: readonly RedisArg[], args: readonly RedisArg[], timeoutMs: number): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args]
  const first = keys[0] as RedisArg
  try {
    return await withTimeout(driver.send(first, ['EVALSHA', script.sha, ...tail]), timeoutMs, script)
  } catch (err) {
    if (!noScript(err)) throw err
  }
  return withTimeout(driver.send(first, ['EVAL', script.source, ...tail]), timeoutMs, script)
}

/** What `durability` asks of every write: WAIT for this many replicas, at most this long. */
export interface Durability {
  readonly replicas: number
  readonly timeout: number
}

/**
 * WAITs after script's write on the connection that carried it. Fewer replicas than asked
 * within the wait: ERR_REDIS_INDETERMINATE with `replicas` set to how many acknowledged (the
 * write is on the primary and may be lost on a failover).
 */
export async function awaitReplicas(driver: RedisDriver, script: Script, key: RedisArg, durability: Durability, timeoutMs: number): Promise<void> {
  const wait = driver.wait as NonNullable<RedisDriver['wait']>
  const acked = Number(await withTimeout(wait(key, durability.replicas, durability.timeout), timeoutMs + durability.timeout, { name: `${script.name} (WAIT)`, writes: true }))
  if (acked >= durability.replicas) return
  throw Object.assign(
    conmapError(
      ErrorCode.REDIS_INDETERMINATE,
      `RedisMap ${script.name}: written on the primary, but ${acked} of the ${durability.replicas} replicas asked for acknowledged it within ${durability.timeout} ms: a failover may lose it`,
    ),
    { replicas: acked },
  )
}
