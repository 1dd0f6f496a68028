// Clients of both libraries for the Redis tests, connected to the servers of
// test/helpers/redis-servers.ts, and closed by close().
import { createClient, createCluster } from 'redis'
import { Cluster, Redis } from 'ioredis'
import type { RedisCluster, RedisServer } from '../helpers/redis-servers.js'

export type ClientKind = 'node-redis' | 'ioredis'
export const CLIENT_KINDS: readonly ClientKind[] = ['node-redis', 'ioredis']

export interface Connected {
  readonly client: unknown
  close(): Promise<void>
}

const quiet = () => undefined

export async function connect(kind: ClientKind, server: RedisServer, password?: string): Promise<Connected> {
  if (kind === 'node-redis') {
    const client = createClient({ url: server.url, ...(password === undefined ? {} : { password }) })
    // node-redis emits connection errors as events; the tests look at rejected calls instead.
    client.on('error', quiet)
    await client.connect()
    // close() waits for a server that is gone; destroy() does not.
    return { client, close: async () => (client.isReady ? void (await client.close()) : client.destroy()) }
  }
  const client = new Redis({ host: server.host, port: server.port, autoResendUnfulfilledCommands: false, lazyConnect: true, ...(password === undefined ? {} : { password }) })
  client.on('error', quiet)
  await client.connect()
  return { client, close: async () => client.disconnect() }
}

/** A cluster client; with replicas: true, set up to send read-only commands to replicas. */
export async function connectCluster(kind: ClientKind, cluster: RedisCluster, { replicas = false } = {}): Promise<Connected> {
  if (kind === 'node-redis') {
    const client = createCluster({ rootNodes: cluster.addresses.map((a) => ({ url: `redis://${a.host}:${a.port}` })), useReplicas: replicas })
    client.on('error', quiet)
    await client.connect()
    return { client, close: async () => void (await client.close()) }
  }
  const client = new Cluster(cluster.addresses.map((a) => ({ host: a.host, port: a.port })), {
    redisOptions: { autoResendUnfulfilledCommands: false },
    retryDelayOnFailover: 0,
    scaleReads: replicas ? 'slave' : 'master',
    lazyConnect: true,
  })
  client.on('error', quiet)
  await client.connect()
  return { client, close: async () => client.disconnect() }
}
