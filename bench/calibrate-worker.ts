/**
 * Calibration worker: pure arithmetic for a fixed time. Run 1 and then 2 at once,
 * it measures how much parallel CPU the machine gives right now, the ceiling for
 * any thread-scaling figure measured in the same run.
 */
import { parentPort, workerData } from 'node:worker_threads'

const { durationMs, gate } = workerData as { durationMs: number; gate: SharedArrayBuffer }
const gateView = new Int32Array(gate)
const scratch = new Float64Array(1 << 12)
Atomics.add(gateView, 1, 1)
Atomics.wait(gateView, 0, 0)
const deadline = performance.now() + durationMs
let ops = 0
let x = 1
while (performance.now() < deadline) {
  for (let i = 0; i < 10_000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0
    scratch[x & 4095] = (scratch[x & 4095] ?? 0) + 1
  }
  ops += 10_000
}
parentPort?.postMessage({ ops })
