/**
 * A piscina task module that calls attachShared() in every task, as a user may
 * when the task body is where workerData is read: the memo must hand each task of a
 * worker the objects its first task attached.
 */
import { threadId } from 'node:worker_threads'
import { workerData } from 'piscina'
import { attachShared, type Mutex, type Shared, type SharedMap } from '../../src/index.js'

export type PoolObjects = { hits: SharedMap<string, number>; mutex: Mutex }

const conmap = (workerData as { conmap: Shared<PoolObjects> }).conmap
const first = attachShared(conmap, { hits: { lockTimeout: 5_000 } })

export interface ShareTaskResult {
  readonly threadId: number
  readonly sameObjects: boolean
  readonly count: number | undefined
}

export default function run(key: string): ShareTaskResult {
  const { hits, mutex } = attachShared(conmap, { hits: { lockTimeout: 5_000 } })
  const count = hits.update(key, (n) => (n ?? 0) + 1)
  mutex.runExclusive(() => hits.set('serialized', (hits.get('serialized') ?? 0) + 1))
  return { threadId, sameObjects: hits === first.hits && mutex === first.mutex, count }
}
