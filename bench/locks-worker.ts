/**
 * A contender in the contended locks benchmark (locks.bench.ts). For each phase the
 * main thread posts `{ phase, kind }`; the worker says it is ready, waits for the go,
 * and increments one plain (non-atomic) shared counter under the lock until the stop,
 * then posts how many increments it made. The final counter must equal the sum over
 * workers, so the benchmark also checks that the lock excluded.
 *
 * Control words: 0 ready count, 1 go (phase number), 2 stop (phase number).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Mutex, type MutexHandle } from '../src/index.js'

interface Data {
  readonly control: SharedArrayBuffer
  readonly counter: SharedArrayBuffer
  readonly spinWord: SharedArrayBuffer
  readonly mutex: MutexHandle
}

const data = workerData as Data
const control = new Int32Array(data.control)
const counter = new Int32Array(data.counter)
const spinWord = new Int32Array(data.spinWord)
const mutex = Mutex.attach(data.mutex)

function conmapLoop(phase: number): number {
  let ops = 0
  while (Atomics.load(control, 2) !== phase) {
    mutex.lock()
    counter[0] = (counter[0] ?? 0) + 1
    mutex.unlock()
    ops++
  }
  return ops
}

/** The bare spin lock: CAS 0 -> 1 until it succeeds, store 0 to release. */
function spinLoop(phase: number): number {
  let ops = 0
  while (Atomics.load(control, 2) !== phase) {
    while (Atomics.compareExchange(spinWord, 0, 0, 1) !== 0);
    counter[0] = (counter[0] ?? 0) + 1
    Atomics.store(spinWord, 0, 0)
    ops++
  }
  return ops
}

parentPort?.on('message', ({ phase, kind }: { phase: number; kind: 'conmap' | 'spin' }) => {
  Atomics.add(control, 0, 1)
  Atomics.notify(control, 0)
  for (let go = Atomics.load(control, 1); go !== phase; go = Atomics.load(control, 1)) Atomics.wait(control, 1, go)
  const ops = kind === 'conmap' ? conmapLoop(phase) : spinLoop(phase)
  parentPort?.postMessage({ ops })
})
