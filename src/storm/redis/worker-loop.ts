/**
 * A Redis storm worker thread: its own connection, one RedisMap on it (the storm's
 * map, by name), and `tasks` concurrent callers recording their calls (record.ts).
 *
 * Protocol with the parent (run.ts): the worker connects and posts 'ready'; the parent,
 * once every worker is ready, posts 'go' with the deadline (so connecting does not eat
 * into the run); the worker runs until then, posts 'done' with its record, and closes
 * its connection. Any failure before that is posted as 'failed'.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { RedisMap } from '../../redis/index.js'
import type { Mix } from '../mix.js'
import { connectRedis } from './connect.js'
import { stormBuckets } from './drop.js'
import type { RedisStormOptions } from './options.js'
import { recordCalls, type AsyncStormTarget, type Recorded } from './record.js'

export interface RedisStormWorkerData {
  readonly options: Pick<RedisStormOptions, 'url' | 'cluster' | 'client' | 'connectTimeout' | 'keys' | 'seed' | 'tasks' | 'check'> & { readonly mix: Mix }
  readonly slot: number
  readonly name: string
}

export type RedisStormWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly recorded: Recorded }
  | { readonly type: 'failed'; readonly message: string; readonly code: string | undefined }

export interface RedisStormGo {
  readonly type: 'go'
  /** performance.timeOrigin + performance.now() ms at which to stop. */
  readonly deadline: number
}

/**
 * Runs a Redis storm worker; `wrap` storms a wrapper of the RedisMap instead of the map
 * (tests use it to storm a deliberately broken map through the real storm).
 * @internal
 */
export async function runRedisStormWorker(wrap?: (map: RedisMap<string, unknown>) => AsyncStormTarget): Promise<void> {
  const port = parentPort
  if (port === null) throw new Error('runRedisStormWorker must run in a worker thread')
  const data = workerData as RedisStormWorkerData
  const post = (message: RedisStormWorkerMessage) => port.postMessage(message)
  let close: (() => Promise<void>) | undefined
  try {
    const connection = await connectRedis(data.options)
    close = () => connection.close()
    const map = new RedisMap<string, unknown>({ client: connection.client, name: data.name, buckets: stormBuckets(data.options.cluster) })
    const target: AsyncStormTarget = wrap === undefined ? map : wrap(map)
    const go = new Promise<RedisStormGo>((resolve) => port.once('message', resolve))
    post({ type: 'ready' })
    const { deadline } = await go
    const { options } = data
    const recorded = await recordCalls(target, { ...options, firstWriter: data.slot * options.tasks, deadline, record: options.check })
    post({ type: 'done', recorded })
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string } | undefined)?.code })
  } finally {
    await close?.()
    port.close()
  }
}
