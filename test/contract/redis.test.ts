// The contract suite over RedisMap on a standalone redis-server started here, with
// node-redis and with ioredis.
import { RedisMap } from '../../src/redis/index.js'
import { startRedis } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connect } from '../redis/clients.js'
import { contract } from './suite.js'

for (const kind of CLIENT_KINDS) {
  contract(`RedisMap standalone, ${kind}`, async () => {
    const server = await startRedis()
    const conn = await connect(kind, server)
    let maps = 0
    return {
      open: () => new RedisMap({ client: conn.client, name: `contract-${maps++}` }),
      close: async () => {
        await conn.close()
        await server.stop()
      },
    }
  })
}
