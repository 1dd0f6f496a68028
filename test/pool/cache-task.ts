/**
 * A piscina task module as a user would write one: the pool's workerData carries
 * the cache's handle and each worker attaches it once, when piscina loads this
 * module. Nothing here watches or registers the worker: conmap tracks it by itself.
 * `flag` (a SharedArrayBuffer in the task) lets the test see a task inside its
 * update() callback: word 0 = the worker's threadId + 1 while it is there.
 */
import { threadId } from 'node:worker_threads'
import { workerData } from 'piscina'
import { SharedMap } from '../../src/index.js'

const cache = SharedMap.attach<string, number>((workerData as { cache: never }).cache)

export interface CacheTask {
  readonly op: 'count' | 'hangInUpdate' | 'exitInUpdate'
  readonly key: string
  readonly flag?: SharedArrayBuffer
}

function inCallback(flag: SharedArrayBuffer | undefined): void {
  if (flag === undefined) return
  const word = new Int32Array(flag)
  Atomics.store(word, 0, threadId + 1)
  Atomics.notify(word, 0)
}

export default function run(task: CacheTask): number | undefined {
  switch (task.op) {
    case 'count':
      return cache.update(task.key, (n) => (n ?? 0) + 1)
    case 'hangInUpdate':
      return cache.update(task.key, () => {
        inCallback(task.flag)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
        return -1
      })
    case 'exitInUpdate':
      return cache.update(task.key, () => {
        inCallback(task.flag)
        process.exit(1)
      })
  }
}
