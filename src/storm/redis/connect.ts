/**
 * The Redis storm's connections: one client per worker thread (and one for the parent,
 * which makes and clears the map), of the library the options name, imported only
 * when asked for since both are optional peer dependencies. Clients are made as
 * RedisMap asks (ioredis without resending unfulfilled commands, so a lost reply is
 * ERR_REDIS_INDETERMINATE and never a silent second write). A server that refuses the
 * first connection, or does not answer within connectTimeout, is ERR_REDIS_UNAVAILABLE:
 * the storm does not hang on it. Once connected, a lost connection is reconnected (the
 * calls in flight fail as indeterminate).
 */
import { conmapError, ErrorCode } from '../../errors/index.js'
import type { RedisStormOptions } from './options.js'

export interface RedisConnection {
  /** The client, as RedisMap takes it. */
  readonly client: unknown
  close(): Promise<void>
}

type ConnectOptions = Pick<RedisStormOptions, 'url' | 'cluster' | 'client' | 'connectTimeout'>

const ignore = () => undefined

/** ms between reconnection attempts after a connection that had been up was lost. */
const RECONNECT_DELAY = 100

/** Reconnects once the first connection was made; before that, gives up at the first failure. */
function reconnection(): { readonly connected: () => void; readonly delay: (cause: Error) => number | Error; readonly ioredisDelay: () => number | null } {
  let up = false
  return {
    connected: () => (up = true),
    delay: (cause) => (up ? RECONNECT_DELAY : cause),
    ioredisDelay: () => (up ? RECONNECT_DELAY : null),
  }
}

export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const urls = options.url.split(',').map((u) => u.trim())
  const made = options.client === 'node-redis' ? await nodeRedis(urls, options.cluster) : await ioredis(urls, options.cluster)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.connectTimeout} ms`)), options.connectTimeout)
  })
  try {
    await Promise.race([made.connect(), timeout])
    made.connected()
    return made
  } catch (err) {
    await made.destroy()
    const cause = err instanceof Error ? err.message : String(err)
    throw conmapError(ErrorCode.REDIS_UNAVAILABLE, `cannot connect to ${options.url}${options.cluster ? ' (cluster)' : ''} with ${options.client}: ${cause}`, err)
  } finally {
    clearTimeout(timer)
  }
}

interface Made extends RedisConnection {
  connect(): Promise<unknown>
  connected(): void
  destroy(): Promise<void>
}

async function nodeRedis(urls: readonly string[], cluster: boolean): Promise<Made> {
  const { createClient, createCluster } = await import('redis')
  const retry = reconnection()
  const socket = { reconnectStrategy: (_retries: number, cause: Error) => retry.delay(cause) }
  if (cluster) {
    const client = createCluster({ rootNodes: urls.map((url) => ({ url, socket })), defaults: { socket } })
    // Connection errors arrive as events as well as rejected calls; the calls tell the storm.
    client.on('error', ignore)
    return { client, connect: () => client.connect(), connected: retry.connected, close: async () => void (await client.close()), destroy: async () => client.destroy() }
  }
  const client = createClient({ url: urls[0], socket })
  client.on('error', ignore)
  return {
    client,
    connect: () => client.connect(),
    connected: retry.connected,
    // close() waits for a server that is gone; destroy() does not.
    close: async () => (client.isReady ? void (await client.close()) : client.destroy()),
    destroy: async () => client.destroy(),
  }
}

async function ioredis(urls: readonly string[], cluster: boolean): Promise<Made> {
  const { Cluster, Redis } = await import('ioredis')
  const retry = reconnection()
  if (cluster) {
    const first = new URL(urls[0] as string)
    const credentials = { ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }), ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }) }
    const nodes = urls.map((url) => {
      const u = new URL(url)
      return { host: u.hostname, port: u.port === '' ? 6379 : Number(u.port) }
    })
    const client = new Cluster(nodes, { redisOptions: { autoResendUnfulfilledCommands: false, ...credentials }, retryDelayOnFailover: 0, lazyConnect: true, clusterRetryStrategy: retry.ioredisDelay })
    client.on('error', ignore)
    return { client, connect: () => client.connect(), connected: retry.connected, close: async () => client.disconnect(), destroy: async () => client.disconnect() }
  }
  const client = new Redis(urls[0] as string, { autoResendUnfulfilledCommands: false, lazyConnect: true, retryStrategy: retry.ioredisDelay })
  client.on('error', ignore)
  return { client, connect: () => client.connect(), connected: retry.connected, close: async () => client.disconnect(), destroy: async () => client.disconnect() }
}
