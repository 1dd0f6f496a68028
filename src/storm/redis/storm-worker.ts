// Entry of the threads `conmap storm --backend redis` starts: the storm loop on a plain RedisMap.
import { runRedisStormWorker } from './worker-loop.js'

await runRedisStormWorker()
