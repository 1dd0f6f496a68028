/**
 * The one small interface RedisMap needs from a Redis client, and its two implementations:
 * node-redis (`redis` / `@redis/client`, a client or a cluster) and ioredis (Redis or
 * Cluster). conmap imports neither library: a client is recognised by its shape, so both
 * stay optional peer dependencies.
 *
 * A driver sends one command to the primary that owns a key (the clients route by key in a
 * cluster and follow MOVED/ASK themselves), or, for a read-only script, to the node the
 * client picks for reads (a replica where the client is set up for it), with bulk replies
 * as Buffers so that fields and values stay binary. runScript() adds EVALSHA with the EVAL
 * fallback and the rule that a call that got no reply is never sent again: it rejects with
 * ERR_REDIS_INDETERMINATE. Only a reply saying the script did not run is followed by
 * another send:
 *  - NOSCRIPT: the server lacks the script; EVAL at once.
 *  - TRYAGAIN, ASK, MOVED (refused()): the cluster refused it before running it. A script
 *    names its bucket's three keys, and during a slot's migration Redis refuses any
 *    multi-key command whose keys are not all present on one side with TRYAGAIN (valkey-doc
 *    topics/cluster-spec.md: "Operations on keys that don't exist or are - during the
 *    resharding - split between the source and destination nodes, will generate a
 *    -TRYAGAIN error"); a bucket's deadline set rarely exists, so a bucket is refused for
 *    the whole of its slot's migration. node-redis hands TRYAGAIN to the caller; ioredis
 *    follows it a few times, then gives up with "Too many Cluster redirections", as
 *    node-redis does on ASK/MOVED. runScript sends such a script again after a jittered
 *    pause growing to REFUSED_PAUSE_MS, while the call's timeout leaves time for another
 *    attempt, and then rejects with ERR_REDIS_UNAVAILABLE (nothing happened).
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
  /**
   * Sends args to the primary that owns key, or with readOnly (a read-only command) to the
   * node the client picks for reads of key; bulk replies come as Buffers.
   */
  send(key: RedisArg, args: readonly RedisArg[], readOnly?: boolean): Promise<unknown>
  /**
   * Whether the client sends read-only commands to replicas (node-redis `useReplicas`,
   * ioredis `scaleReads` other than 'master'); false for a standalone client.
   */
  readonly replicaReads: boolean
  /**
   * Whether err, a failure of send() by a cluster client, says the command did not run (the
   * cluster refused it). Never for a standalone client: a cluster's refusal reaching one
   * (a client pointed at a cluster node) is no passing state, and is given as the server said it.
   */
  refused(err: unknown): boolean
  /**
   * Sends WAIT on the connection that carried key's writes (undefined where the client
   * cannot: an ioredis Cluster routes a keyless command to any node).
   */
  readonly wait: ((key: RedisArg, replicas: number, ms: number) => Promise<unknown>) | undefined
}

/** The node-redis client shape this module uses (a RedisClientType or RedisClusterType). */
interface NodeRedisClient {
  sendCommand(...args: unknown[]): Promise<unknown>
  readonly _options?: { readonly useReplicas?: boolean }
}

/** The ioredis client shape this module uses (Redis or Cluster). */
interface IoredisClient {
  callBuffer(command: string, args: RedisArg[]): Promise<unknown>
  readonly isCluster?: boolean
  readonly options?: {
    readonly autoResendUnfulfilledCommands?: boolean
    readonly retryDelayOnFailover?: number
    readonly scaleReads?: unknown
    readonly redisOptions?: { readonly autoResendUnfulfilledCommands?: boolean }
  }
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
 * whose replies were lost, and a write could then happen twice. An ioredis Cluster also
 * needs `retryDelayOnFailover: 0`: its node connections do not reconnect, a lost one fails
 * its commands in flight with "Connection is closed.", and the Cluster sends those again
 * (to another node, after retryDelayOnFailover ms) unless that delay is 0.
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

/** A reply of a cluster that did not run the command: sent elsewhere, or to come back later. */
const REFUSAL = /^(TRYAGAIN|ASK|MOVED)\b/

function refusedReply(err: unknown): boolean {
  return isReplyError(err) && REFUSAL.test(err.message)
}

function nodeRedisDriver(client: NodeRedisClient): RedisDriver {
  // A cluster's sendCommand takes (firstKey, isReadonly, args, options); a client's (args, options).
  const cluster = 'masters' in client
  return {
    client: 'node-redis',
    cluster,
    send: cluster ? (key, args, readOnly) => client.sendCommand(key, readOnly === true, args, BINARY) : (_key, args) => client.sendCommand(args, BINARY),
    replicaReads: cluster && client._options?.useReplicas === true,
    // Past maxCommandRedirections node-redis throws MaxCommandRedirectionsError, the last
    // ASK/MOVED as its cause; it follows nothing else, so every attempt was refused.
    refused: (err) => cluster && (refusedReply(err) || (err instanceof Error && err.message === 'Too many Cluster redirections' && refusedReply(err.cause))),
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
  if (cluster && client.options?.retryDelayOnFailover !== 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'an ioredis Cluster needs retryDelayOnFailover: 0: otherwise a write in flight on a node connection that is lost is sent again to another node')
  }
  const scaleReads = client.options?.scaleReads
  return {
    client: 'ioredis',
    cluster,
    // An ioredis Cluster routes by the command's name, which it looks up as written (in
    // lower case) to tell that EVALSHA_RO / EVAL_RO are read-only commands.
    send: (_key, args) => client.callBuffer((args[0] as string).toLowerCase(), args.slice(1)),
    replicaReads: cluster && scaleReads !== undefined && scaleReads !== 'master',
    // With retryDelayOnFailover 0 the Cluster follows only MOVED, ASK, TRYAGAIN and
    // CLUSTERDOWN, refusals all, before it gives up with this message.
    refused: (err) => cluster && (refusedReply(err) || (err instanceof Error && /^Too many Cluster redirections\. Last error: ReplyError: (TRYAGAIN|ASK|MOVED|CLUSTERDOWN)\b/.test(err.message))),
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

function withTimeout<T>(driver: RedisDriver, promise: Promise<T>, ms: number, script: Pick<Script, 'name' | 'writes'>): Promise<T> {
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
    throw isReplyError(err) || driver.refused(err) ? err : indeterminate(script, err)
  })
}

/** The longest pause between two sends of a script the cluster refused. */
const REFUSED_PAUSE_MS = 100

/**
 * Runs script on the primary of keys[0] (a read-only script as EVALSHA_RO / EVAL_RO, on the
 * node the client picks for reads): EVALSHA, and EVAL if that server does not have it (a
 * new server, SCRIPT FLUSH, a failover). A refusal of the cluster (TRYAGAIN, ASK, MOVED)
 * sends it again after a pause, within timeoutMs from the first send; refused until then,
 * it rejects with ERR_REDIS_UNAVAILABLE. Other error replies of the server reject as the
 * client gives them; no reply within timeoutMs, or a lost connection, rejects with
 * ERR_REDIS_INDETERMINATE.
 */
export async function runScript(driver: RedisDriver, script: Script, keys: readonly RedisArg[], args: readonly RedisArg[], timeoutMs: number): Promise<unknown> {
  const deadline = performance.now() + timeoutMs
  for (let attempt = 0, left = timeoutMs; ; attempt++) {
    const sent = performance.now()
    try {
      return await sendScript(driver, script, keys, args, left)
    } catch (err) {
      if (!driver.refused(err)) throw err
      const took = performance.now() - sent
      await new Promise((resolve) => setTimeout(resolve, Math.min(REFUSED_PAUSE_MS, 2 ** attempt) * (0.5 + Math.random() / 2)))
      left = deadline - performance.now()
      // A client that follows refusals itself (ioredis: about a second of TRYAGAIN) would
      // likely still be at it when the time runs out, and the call would end indeterminate:
      // it is sent again only if the time left is twice what the refused attempt took.
      if (left < 2 * took || left <= 0) {
        const refusedFor = Math.round(timeoutMs - left)
        throw conmapError(ErrorCode.REDIS_UNAVAILABLE, `RedisMap ${script.name}: the cluster refused it for ${refusedFor} ms of its ${timeoutMs} ms timeout (${err instanceof Error ? err.message : describeValue(err)}); it did not run`, err)
      }
    }
  }
}

/** One send of script: EVALSHA, then EVAL on NOSCRIPT. */
async function sendScript(driver: RedisDriver, script: Script, keys: readonly RedisArg[], args: readonly RedisArg[], timeoutMs: number): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args]
  const first = keys[0] as RedisArg
  const readOnly = script.readOnly === true
  try {
    return await withTimeout(driver, driver.send(first, [readOnly ? 'EVALSHA_RO' : 'EVALSHA', script.sha, ...tail], readOnly), timeoutMs, script)
  } catch (err) {
    if (!noScript(err)) throw err
  }
  return withTimeout(driver, driver.send(first, [readOnly ? 'EVAL_RO' : 'EVAL', script.source, ...tail], readOnly), timeoutMs, script)
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
  const acked = Number(await withTimeout(driver, wait(key, durability.replicas, durability.timeout), timeoutMs + durability.timeout, { name: `${script.name} (WAIT)`, writes: true }))
  if (acked >= durability.replicas) return
  throw Object.assign(
    conmapError(
      ErrorCode.REDIS_INDETERMINATE,
      `RedisMap ${script.name}: written on the primary, but ${acked} of the ${durability.replicas} replicas asked for acknowledged it within ${durability.timeout} ms: a failover may lose it`,
    ),
    { replicas: acked },
  )
}
