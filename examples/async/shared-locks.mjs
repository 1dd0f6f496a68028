import { Worker, isMainThread, workerData } from 'node:worker_threads'
import { SharedKeyedMutex, SharedMap, attachShared, share } from 'conmap'

const save = () => new Promise((resolve) => setTimeout(resolve, 1))

if (isMainThread) {
  const locks = new SharedKeyedMutex()
  const visits = new SharedMap({ codec: 'number' })
  const conmap = share({ locks, visits })
  const workers = Array.from({ length: 4 }, () => new Worker(new URL(import.meta.url), { workerData: conmap }))
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))))
  console.log(`${visits.get('/')} of 200 visits counted`)
} else {
  const { locks, visits } = attachShared(workerData)
  await Promise.all(
    Array.from({ length: 50 }, () =>
      locks.runExclusive('/', async () => {
        const n = visits.get('/') ?? 0
        await save() // other tasks of this worker, and other workers, run here
        visits.set('/', n + 1)
      }, { timeout: 10_000 }),
    ),
  )
}
