/**
 * runRedisStorm: worker threads against one RedisMap on a real server or cluster,
 * each worker on its own connection with a few concurrent callers, every call
 * recorded on the process-wide clock; the parent merges the records, checks the
 * history per key (conmap/check) and reports.
 *
 * The parent connects first (a server that does not answer fails the storm at once,
 * ERR_REDIS_UNAVAILABLE), names the map uniquely (so storms never share server keys
 * with each other or with a user's maps), starts the workers, gives them one common
 * deadline once all are connected, and clears the map at the end, whatever happened
 * (drop.ts: nothing of it stays on the server).
 */
import { randomUUID } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import { checkHistory, type HistoryCheckResult, type Operation } from '../../check/index.js'
import { conmapError, ErrorCode } from '../../errors/index.js'
import { RedisMap } from '../../redis/index.js'
import { STORM_OPS, type StormOp } from '../mix.js'
import { startThread } from '../thread.js'
import { connectRedis } from './connect.js'
import { dropClearedMap, stormBuckets } from './drop.js'
import { validateRedisStormOptions, type RedisStormInput, type RedisStormOptions } from './options.js'
import { now, type Recorded } from './record.js'
import { buildRedisReport, type RedisStormReport } from './report.js'
import type { RedisStormGo, RedisStormWorkerData, RedisStormWorkerMessage } from './worker-loop.js'

export interface RunRedisStormHooks {
  /**
   * The module every worker runs (default: conmap's own). A custom module calls
   * `runRedisStormWorker(wrap)` to storm a wrapper of the RedisMap instead of the map.
   * @internal
   */
  readonly worker?: URL | string
}

const defaultWorker = new URL('./storm-worker.js', import.meta.url)

/**
 * Storms one RedisMap on a real Redis server or cluster from worker threads, and with
 * `check: true` checks the recorded history for linearizability, per key. Calls whose
 * reply was lost (ERR_REDIS_INDETERMINATE) are checked as pending: they may or may not
 * have taken effect. The map gets a fresh unique name and is cleared at the end.
 *
 * @example
 * ```ts
 * import { runRedisStorm, formatRedisStormReport } from 'conmap/storm'
 * const report = await runRedisStorm({ url: 'redis://127.0.0.1:6380', workers: 4, duration: 2, check: true })
 * if (!report.ok) console.error(formatRedisStormReport(report))
 * ```
 * @throws ERR_INVALID_ARGUMENT for a bad option (named in the message).
 * @throws ERR_REDIS_UNAVAILABLE when the server does not answer within `connectTimeout`.
 */
export async function runRedisStorm(input: RedisStormInput | RedisStormOptions, hooks: RunRedisStormHooks = {}): Promise<RedisStormReport> {
  const options = validateRedisStormOptions(input as RedisStormInput)
  if (hooks.worker !== undefined && typeof hooks.worker !== 'string' && !(hooks.worker instanceof URL)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'worker must be a URL or a path')
  }
  const parent = await connectRedis(options)
  const name = `conmap-storm:${options.seed}:${randomUUID()}`
  const buckets = stormBuckets(options.cluster)
  const map = new RedisMap<string, unknown>({ client: parent.client, name, buckets })
  const workers: Worker[] = []
  let failed = false
  try {
    const { records, elapsed } = await storm(options, name, hooks.worker ?? defaultWorker, workers)
    const opsByType = Object.fromEntries(STORM_OPS.map((op) => [op, 0])) as Record<StormOp, number>
    const errors: Record<string, number> = {}
    const errorSamples: Record<string, string> = {}
    const history: Operation[] = []
    for (const r of records) {
      for (const op of STORM_OPS) opsByType[op] += r.opsByType[op]
      for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n
      for (const [code, message] of Object.entries(r.errorSamples)) errorSamples[code] ??= message
      for (const op of r.history) history.push(op)
    }
    const check: HistoryCheckResult | undefined = options.check ? checkHistory(history, { timeoutMs: options.checkTimeout * 1000 }) : undefined
    return buildRedisReport({ options, map: name, elapsed, opsByType, errors, errorSamples, history, check })
  } catch (err) {
    failed = true
    throw err
  } finally {
    for (const w of workers) await w.terminate()
    try {
      await map.clear()
      await dropClearedMap(parent.client, name, buckets)
    } catch (err) {
      // A server gone mid-storm fails the clean-up too: the storm's own error says more.
      if (!failed) throw err
    } finally {
      await parent.close()
    }
  }
}

/** Runs the workers to the common deadline; their records, and the seconds they ran. */
async function storm(options: RedisStormOptions, name: string, file: URL | string, workers: Worker[]): Promise<{ records: Recorded[]; elapsed: number }> {
  const { url, cluster, client, connectTimeout, keys, seed, tasks, check, mix } = options
  const ready: Promise<void>[] = []
  const done: Promise<Recorded>[] = []
  for (let slot = 0; slot < options.workers; slot++) {
    const data: RedisStormWorkerData = { options: { url, cluster, client, connectTimeout, keys, seed, tasks, check, mix }, slot, name }
    const worker = startThread(file, data)
    workers.push(worker)
    let onReady: () => void = () => undefined
    ready.push(new Promise((resolve) => (onReady = resolve)))
    done.push(
      new Promise<Recorded>((resolve, reject) => {
        worker.on('message', (m: RedisStormWorkerMessage) => {
          if (m.type === 'ready') onReady()
          else if (m.type === 'done') resolve(m.recorded)
          else reject(m.code === ErrorCode.REDIS_UNAVAILABLE ? conmapError(ErrorCode.REDIS_UNAVAILABLE, m.message) : new Error(`storm worker ${slot}: ${m.message}`))
        })
        worker.once('error', reject)
        worker.once('exit', (code) => reject(new Error(`storm worker ${slot} exited (${code}) before reporting`)))
      }),
    )
  }
  // A worker that fails before it is ready must fail the storm rather than leave it waiting.
  const failed = Promise.all(done).then(() => undefined)
  await Promise.race([Promise.all(ready), failed])
  const start = now()
  const go: RedisStormGo = { type: 'go', deadline: start + options.duration * 1000 }
  for (const w of workers) w.postMessage(go)
  const records = await Promise.all(done)
  return { records, elapsed: (now() - start) / 1000 }
}
