/**
 * Test helpers for real worker threads: start a fixture worker running a named
 * scenario, wait for messages, and collect results. Workers load the compiled
 * fixtures from dist/, like users' workers load dist/.
 */
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { reviveError, isSerializedError } from '../../src/index.js'

export const syncWorkerFile = fileURLToPath(new URL('../fixtures/sync-worker.js', import.meta.url))

export interface Started {
  readonly worker: Worker
  /** Resolves with the scenario's result; rejects with the revived error it threw. */
  readonly result: Promise<unknown>
  /** Resolves when the worker posts `{ event: name }`. */
  event(name: string): Promise<unknown>
}

export function start(scenario: string, data: Record<string, unknown> = {}, file = syncWorkerFile): Started {
  const worker = new Worker(file, { workerData: { scenario, ...data } })
  const waiters = new Map<string, Array<(value: unknown) => void>>()
  const seen = new Map<string, unknown>()
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on('message', (message: { event?: string; value?: unknown; result?: unknown; error?: unknown }) => {
      if (message.event !== undefined) {
        seen.set(message.event, message.value)
        for (const resolveEvent of waiters.get(message.event) ?? []) resolveEvent(message.value)
        waiters.delete(message.event)
      } else if (isSerializedError(message.error)) {
        reject(reviveError(message.error))
      } else {
        resolve(message.result)
      }
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)))
  })
  result.catch(() => undefined)
  return {
    worker,
    result,
    event(name) {
      if (seen.has(name)) return Promise.resolve(seen.get(name))
      return new Promise((resolve) => {
        const list = waiters.get(name) ?? []
        list.push(resolve)
        waiters.set(name, list)
      })
    },
  }
}

export async function exited(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return
  await once(worker, 'exit')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
