/**
 * Starting benchmark workers. Gated jobs warm up, then wait on a shared word; once
 * all have arrived the main thread releases them together, so their measured windows
 * overlap. A worker that throws or outlives its time fails the whole measurement
 * (the caller records the error instead of a number) and every worker is stopped.
 */
import { Worker, type TransferListItem } from 'node:worker_threads'
import type { Job, WorkerReply } from './worker.js'

const WORKER_FILE = new URL('./worker.js', import.meta.url)
/** Room for loading large maps and starting threads, on top of the job's own time. */
const SLACK_MS = 120_000

export interface Launch {
  readonly job: Job
  readonly transfer?: readonly TransferListItem[]
}

/** Runs the launches together (released at once if gated) and returns their results in order. */
export async function runWorkers<T>(launches: readonly Launch[], budgetMs: number): Promise<T[]> {
  const gate = new SharedArrayBuffer(8)
  const gateView = new Int32Array(gate)
  const gated = launches.filter((l) => l.job.type !== 'passes').length
  const workers: Worker[] = []
  let failed: Error | undefined
  const replies = launches.map(
    (launch) =>
      new Promise<T>((resolve, reject) => {
        const worker = new Worker(WORKER_FILE, { workerData: { job: launch.job, gate }, transferList: [...(launch.transfer ?? [])] })
        workers.push(worker)
        worker.once('message', (reply: WorkerReply) => (reply.ok ? resolve(reply.result as T) : reject(new Error(reply.error))))
        worker.once('error', reject)
        worker.once('exit', (code) => reject(new Error(`benchmark worker exited with code ${code} before replying`)))
      }).catch((err: unknown) => {
        failed ??= err instanceof Error ? err : new Error(String(err))
        throw failed
      }),
  )
  // Handled now (Promise.all below reports the first failure), so a later one is not 'unhandled'.
  for (const reply of replies) reply.catch(() => undefined)
  const deadline = performance.now() + budgetMs + SLACK_MS
  try {
    while (Atomics.load(gateView, 1) < gated) {
      if (failed !== undefined) throw failed
      if (performance.now() > deadline) throw new Error('benchmark workers did not get ready in time')
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    Atomics.store(gateView, 0, 1)
    Atomics.notify(gateView, 0)
    return await withDeadline(Promise.all(replies), deadline)
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('benchmark workers did not finish in time')), Math.max(0, deadline - performance.now()))
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
