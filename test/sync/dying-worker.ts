/**
 * Workers that die holding something, at a moment the test picks: each takes what
 * its scenario names, posts 'holding', parks on `gate` (word 0) until the test opens
 * it, and then dies the way the scenario says. The test opens the gate and blocks at
 * once in a synchronous call, so its event loop cannot learn of the death: only the
 * dying thread's exit hook or its beacons can (src/sync/threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Mutex, SharedMap, WaitGroup } from '../../src/index.js'

const data = workerData as { scenario: string; handle: never; gate: SharedArrayBuffer; key?: string }
const gate = new Int32Array(data.gate)

function park(): void {
  parentPort?.postMessage({ event: 'holding' })
  Atomics.wait(gate, 0, 0)
}

const scenarios: Record<string, () => void> = {
  /** process.exit() inside an update() callback: the shard stays locked, `finally` blocks never run. */
  exitInUpdate() {
    SharedMap.attach(data.handle).update(data.key ?? 'k', () => {
      park()
      process.exit(3)
    })
  },
  /** An uncaught error while holding a Mutex. */
  crashInMutex() {
    Mutex.attach(data.handle).lock()
    park()
    throw new Error('crash inside the locked section')
  },
  /** Owes a done() (the parent's wg.add(1, worker)) and crashes before paying it. */
  crashOwing() {
    WaitGroup.attach(data.handle)
    park()
    throw new Error('crash before done()')
  },
  /** Holds the key's shard in an update() callback until the gate opens or the worker is killed. */
  holdInUpdate() {
    SharedMap.attach(data.handle).update(data.key ?? 'k', () => {
      park()
      return 'released'
    })
    parentPort?.postMessage({ result: 'released' })
  },
}

const run = scenarios[data.scenario]
if (run === undefined) throw new Error(`unknown scenario ${data.scenario}`)
run()
