import { once } from 'node:events'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { SharedMap, guard } from 'conmap'

if (isMainThread) {
  const map = new SharedMap()
  const sessions = guard(map, {
    name: 'sessions',
    timeout: 50, // ms a call may wait for a lock
    breaker: { failures: 3, window: 10_000, resetAfter: 5_000, halfOpenCalls: 1 },
    audit: { entries: 1024, keys: 'hash' },
  })
  sessions.set('s1', { user: 'ada' })
  const gate = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { map: map.handle, breaker: sessions.breaker.handle, gate: gate.buffer },
  })
  await once(worker, 'message') // the worker holds the lock of 's1'
  for (let i = 0; i < 4; i++) {
    try {
      sessions.set('s1', { user: 'bob' })
    } catch (err) {
      console.log(err.code) // three lock timeouts, then the breaker fails fast
    }
  }
  Atomics.store(gate, 0, 1)
  Atomics.notify(gate, 0)
  const [there] = await once(worker, 'message')
  console.log(`breaker ${sessions.breaker.state} here, ${there} in the worker`)
  console.log(sessions.audit().map((entry) => `${entry.op} ${entry.outcome}`).join(', '))
} else {
  const map = SharedMap.attach(workerData.map)
  const gate = new Int32Array(workerData.gate)
  map.update('s1', (session) => {
    parentPort.postMessage('holding')
    Atomics.wait(gate, 0, 0) // a slow callback keeps the shard locked
    return session
  })
  const sessions = guard(map, { breaker: workerData.breaker }) // the same breaker
  parentPort.postMessage(sessions.breaker.state)
}
