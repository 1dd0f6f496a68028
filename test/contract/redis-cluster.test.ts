// The contract suite over RedisMap on a Redis Cluster of 3 primaries and 3 replicas started
// here, with node-redis and with ioredis (64 buckets spread over the primaries).
import { after, before } from 'node:test'
import { RedisMap } from '../../src/redis/index.js'
import { startCluster, type RedisCluster } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connectCluster } from '../redis/clients.js'
import { contract } from './suite.js'

let cluster: RedisCluster
before(async () => {
  cluster = await startCluster()
})
after(async () => {
  await cluster.stop()
})

for (const kind of CLIENT_KINDS) {
  contract(`RedisMap on a 3+3 cluster, ${kind}`, async () => {
    const conn = await connectCluster(kind, cluster)
    let maps = 0
    return {
      open: () => new RedisMap({ client: conn.client, name: `contract-${kind}-${maps++}` }),
      close: () => conn.close(),
    }
  })
}
