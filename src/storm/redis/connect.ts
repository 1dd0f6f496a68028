/**
 * The Redis storm's connections: one client per worker thread (and one for the parent,
 * which makes and clears the map), of the library the options name, imported only
 * when asked for since both are optional peer dependencies. Clients are made as
 * RedisMap asks (ioredis without resending unfulfilled commands, so a lost reply is
 * ERR_REDIS_INDETERMINATE and never a silent second write). A server that does not
 * answer within connectTimeout is ERR_REDIS_UNAVAILABLE: the storm does not hang on it.
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

export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const urls = options.url.split(',').map((u) => u.trim())
  const made = options.client === 'node-redis' ? await nodeRedis(urls, options.cluster) : await ioredis(urls, options.cluster)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.connectTimeout} ms`)), options.connectTimeout)
  })
  try {
    await Promise.race([made.connect(), timeout])
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
  destroy(): Promise<void>
}

async function nodeRedis(urls: readonly string[], cluster: boolean): Promise<Made> {
  const { createClient, createCluster } = await import('redis')
  if (cluster) {
    const client = createCluster({ rootNodes: urls.map((url) => ({ url })) })
    // Connection errors arrive as events as well as rejected calls; the calls tell the storm.
    client.on('error', ignore)
    return { client, connect: () => client.connect(), close: async () => void (await client.close()), destroy: async () => client.destroy() }
  }
  const client = createClient({ url: urls[0] })
  client.on('error', ignore)
  return {
    client,
    connect: () => client.connect(),
    // close() waits for a server that is gone; destroy() does not.
    close: async () => (client.isReady ? void (await client.close()) : client.destroy()),
    destroy: async () => client.destroy(),
  }
}

async function ioredis(urls: readonly string[], cluster: boolean): Promise<Made> {
  const { Cluster, Redis } = await import('ioredis')
  if (cluster) {
    const first = new URL(urls[0] as string)
    const credentials = { ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }), ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }) }
    const nodes = urls.map((url) => {
      const u = new URL(url)
      return { host: u.hostname, port: u.port === '' ? 6379 : Number(u.port) }
    })
    const client = new Cluster(nodes, { redisOptions: { autoResendUnfulfilledCommands: false, ...credentials }, retryDelayOnFailover: 0, lazyConnect: true })
    client.on('error', ignore)
    return { client, connect: () => client.connect(), close: async () => client.disconnect(), destroy: async () => client.disconnect() }
  }
  const client = new Redis(urls[0] as string, { autoResendUnfulfilledCommands: false, lazyConnect: true })
  client.on('error', ignore)
  return { client, connect: () => client.connect(), close: async () => client.disconnect(), destroy: async () => client.disconnect() }
}
