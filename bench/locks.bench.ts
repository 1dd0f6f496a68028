/**
 * conmap's Mutex against async-mutex and a bare Atomics spin lock, side by side in
 * one run (issue 2). Ratios are what this reports: absolute times on a shared 2-core
 * machine are noise, but each ratio compares rounds that ran interleaved, so drift
 * hits every contender alike. Every figure is the median of several repetitions,
 * after a warm-up.
 *
 *  (a) uncontended lock + unlock on one thread: the spin lock (CAS 0 -> 1 / store 0
 *      on an Int32Array), conmap lock()/unlock(), tryLock()/unlock(), runExclusive,
 *      await lockAsync()/unlock(), and async-mutex await acquire()/release() and
 *      runExclusive.
 *  (b) contended: 2 and 4 worker threads incrementing one shared counter under conmap
 *      Mutex vs the spin lock (throughput, and conmap / spin). async-mutex cannot
 *      cross threads (its state is a JS object in one isolate), so it is measured
 *      contended across async tasks of one thread, next to conmap lockAsync there.
 */
import { Worker } from 'node:worker_threads'
import { cpus, loadavg, platform, arch } from 'node:os'
import { Mutex as AsyncMutex } from 'async-mutex'
import { Mutex } from '../src/index.js'

export interface LocksBenchOptions {
  readonly quick: boolean
}

export interface UncontendedRow {
  readonly name: string
  /** Median nanoseconds per lock + unlock. */
  readonly nsPerOp: number
  /** nsPerOp over the spin lock's: how many times its cost. */
  readonly vsSpin: number
  /** nsPerOp over async-mutex acquire/release's: below 1 is faster. */
  readonly vsAsyncMutex: number
}

export interface ContendedRow {
  readonly name: string
  readonly threads: number
  /** Median increments per second, all threads together. */
  readonly opsPerSec: number
  /** Least and most increments of one thread over the mean (median repetition): 1 and 1 is perfectly even. */
  readonly spread: { readonly min: number; readonly max: number }
}

export interface ContendedRatio {
  readonly threads: number
  readonly label: string
  /** Throughput of conmap Mutex over the bare spin lock. */
  readonly ratio: number
}

export interface LocksBenchResult {
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string; readonly platform: string; readonly loadavg: readonly number[] }
  readonly quick: boolean
  readonly repetitions: number
  readonly uncontended: readonly UncontendedRow[]
  readonly contendedThreads: readonly ContendedRow[]
  readonly contendedTasks: readonly ContendedRow[]
  readonly ratios: readonly ContendedRatio[]
  /** Every contended phase's final counter equalled the sum of its increments. */
  readonly exact: boolean
  readonly notes: readonly string[]
}

const WORKER = new URL('./locks-worker.js', import.meta.url)

export async function runLocksBench(options: LocksBenchOptions): Promise<LocksBenchResult> {
  const repetitions = options.quick ? 5 : 9
  const sliceMs = options.quick ? 40 : 150
  const phaseMs = options.quick ? 250 : 900
  const contendedReps = options.quick ? 3 : 7
  const uncontended = await measureUncontended(repetitions, sliceMs)
  const threads = await measureThreads([2, 4], contendedReps, phaseMs)
  const tasks = await measureTasks([2, 4], contendedReps, phaseMs)
  const ratios: ContendedRatio[] = []
  for (const n of [2, 4]) {
    ratios.push({ threads: n, label: `conmap Mutex / spin lock, ${n} worker threads`, ratio: opsOf(threads.rows, 'conmap Mutex lock()/unlock()', n) / opsOf(threads.rows, 'bare spin lock', n) })
  }
  const all = cpus()
  return {
    machine: { cpus: all.length, model: all[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${platform()} ${arch()}`, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    quick: options.quick,
    repetitions,
    uncontended,
    contendedThreads: threads.rows,
    contendedTasks: tasks.rows,
    ratios,
    exact: threads.exact && tasks.exact,
    notes: [
      'async-mutex cannot cross threads: its lock is a JS object inside one isolate, so it is contended across async tasks of one thread only.',
      'Contended spin-lock figures on a machine with fewer cores than threads depend on the scheduler: a holder preempted mid-section leaves the others spinning for a time slice.',
      'Async tasks of one thread: no ratio is given. conmap\'s lock belongs to the thread and is not handed over between its tasks in order: a task that unlocks and relocks within microtasks gets it again before a sleeping task wakes (its spread shows one task doing nearly everything), while async-mutex serves tasks FIFO.',
      `Medians of ${repetitions} (uncontended) and ${contendedReps} (contended) repetitions, contenders interleaved within each repetition, after a warm-up.`,
    ],
  }
}

function opsOf(rows: readonly ContendedRow[], name: string, threads: number): number {
  return rows.find((r) => r.name === name && r.threads === threads)?.opsPerSec ?? Number.NaN
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

// ---------------------------------------------------------------- (a) uncontended

/** A loop of n lock + unlock pairs; each contender has its own loop so each stays monomorphic. */
type Loop = (n: number) => void | Promise<void>

interface Case {
  readonly name: string
  readonly loop: Loop
}

let sink = 0

function uncontendedCases(): Case[] {
  const spinWord = new Int32Array(new SharedArrayBuffer(4))
  const mutex = new Mutex()
  const asyncMutex = new AsyncMutex()
  const bump = () => {
    sink++
  }
  return [
    {
      name: 'bare spin lock (CAS 0→1 / store 0)',
      loop(n) {
        for (let i = 0; i < n; i++) {
          while (Atomics.compareExchange(spinWord, 0, 0, 1) !== 0);
          sink++
          Atomics.store(spinWord, 0, 0)
        }
      },
    },
    {
      name: 'conmap Mutex lock()/unlock()',
      loop(n) {
        for (let i = 0; i < n; i++) {
          mutex.lock()
          sink++
          mutex.unlock()
        }
      },
    },
    {
      name: 'conmap Mutex tryLock()/unlock()',
      loop(n) {
        for (let i = 0; i < n; i++) {
          if (mutex.tryLock()) {
            sink++
            mutex.unlock()
          }
        }
      },
    },
    {
      name: 'conmap Mutex runExclusive(fn)',
      loop(n) {
        for (let i = 0; i < n; i++) mutex.runExclusive(bump)
      },
    },
    {
      name: 'conmap Mutex await lockAsync()/unlock()',
      async loop(n) {
        for (let i = 0; i < n; i++) {
          await mutex.lockAsync()
          sink++
          mutex.unlock()
        }
      },
    },
    {
      name: 'async-mutex await acquire()/release()',
      async loop(n) {
        for (let i = 0; i < n; i++) {
          const release = await asyncMutex.acquire()
          sink++
          release()
        }
      },
    },
    {
      name: 'async-mutex await runExclusive(fn)',
      async loop(n) {
        for (let i = 0; i < n; i++) await asyncMutex.runExclusive(bump)
      },
    },
  ]
}

async function timeLoop(loop: Loop, n: number): Promise<number> {
  const began = process.hrtime.bigint()
  await loop(n)
  return Number(process.hrtime.bigint() - began)
}

/** Warm-up doubles n until a run takes `sliceMs`; returns the n for one slice. */
async function calibrate(loop: Loop, sliceMs: number): Promise<number> {
  let n = 1000
  for (;;) {
    const ns = await timeLoop(loop, n)
    if (ns >= sliceMs * 1e6) return Math.max(1000, Math.round((n * sliceMs * 1e6) / ns))
    n *= 2
  }
}

async function measureUncontended(repetitions: number, sliceMs: number): Promise<UncontendedRow[]> {
  const cases = uncontendedCases()
  const sizes = []
  for (const c of cases) sizes.push(await calibrate(c.loop, sliceMs))
  const samples: number[][] = cases.map(() => [])
  for (let rep = 0; rep < repetitions; rep++) {
    for (const [i, c] of cases.entries()) {
      const n = sizes[i] ?? 1000
      samples[i]?.push((await timeLoop(c.loop, n)) / n)
    }
  }
  const ns = samples.map(median)
  const spin = ns[0] ?? Number.NaN
  const asyncMutex = ns[cases.findIndex((c) => c.name.startsWith('async-mutex await acquire'))] ?? Number.NaN
  if (sink === -1) console.log(sink)
  return cases.map((c, i) => ({ name: c.name, nsPerOp: ns[i] ?? Number.NaN, vsSpin: (ns[i] ?? Number.NaN) / spin, vsAsyncMutex: (ns[i] ?? Number.NaN) / asyncMutex }))
}

// ---------------------------------------------------------------- (b) contended, worker threads

function sleepBlocking(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function nextMessage(worker: Worker): Promise<{ ops: number }> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { ops: number }) => {
      worker.off('error', reject)
      resolve(message)
    }
    worker.once('message', onMessage)
    worker.once('error', reject)
  })
}

function spreadOf(perThread: readonly number[]): { min: number; max: number } {
  const mean = perThread.reduce((a, b) => a + b, 0) / perThread.length
  return { min: Math.min(...perThread) / mean, max: Math.max(...perThread) / mean }
}

interface Phase {
  readonly opsPerSec: number
  readonly perThread: readonly number[]
  readonly exact: boolean
}

async function measureThreads(threadCounts: readonly number[], repetitions: number, phaseMs: number): Promise<{ rows: ContendedRow[]; exact: boolean }> {
  const control = new Int32Array(new SharedArrayBuffer(12))
  const counter = new Int32Array(new SharedArrayBuffer(4))
  const spinWord = new SharedArrayBuffer(4)
  const mutex = new Mutex()
  const most = Math.max(...threadCounts)
  const workers = Array.from({ length: most }, () => new Worker(WORKER, { workerData: { control: control.buffer, counter: counter.buffer, spinWord, mutex: mutex.handle } }))
  let phase = 0
  let exact = true

  const runPhase = async (kind: 'conmap' | 'spin', threads: number, ms: number): Promise<Phase> => {
    phase++
    Atomics.store(control, 0, 0)
    counter[0] = 0
    const active = workers.slice(0, threads)
    const answers = active.map(nextMessage)
    for (const worker of active) worker.postMessage({ phase, kind })
    for (let ready = Atomics.load(control, 0); ready < threads; ready = Atomics.load(control, 0)) Atomics.wait(control, 0, ready, 100)
    const began = performance.now()
    Atomics.store(control, 1, phase)
    Atomics.notify(control, 1)
    sleepBlocking(ms)
    Atomics.store(control, 2, phase)
    const elapsed = performance.now() - began
    const perThread = (await Promise.all(answers)).map((a) => a.ops)
    const total = perThread.reduce((a, b) => a + b, 0)
    const ok = counter[0] === total
    exact &&= ok
    return { opsPerSec: (total / elapsed) * 1000, perThread, exact: ok }
  }

  const configs = threadCounts.flatMap((threads) => [
    { name: 'conmap Mutex lock()/unlock()', kind: 'conmap' as const, threads },
    { name: 'bare spin lock', kind: 'spin' as const, threads },
  ])
  try {
    for (const c of configs) await runPhase(c.kind, c.threads, phaseMs / 4) // warm-up
    const results: Phase[][] = configs.map(() => [])
    for (let rep = 0; rep < repetitions; rep++) {
      for (const [i, c] of configs.entries()) results[i]?.push(await runPhase(c.kind, c.threads, phaseMs))
    }
    return { rows: configs.map((c, i) => rowOf(c.name, c.threads, results[i] ?? [])), exact }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

function rowOf(name: string, threads: number, phases: readonly Phase[]): ContendedRow {
  const opsPerSec = median(phases.map((p) => p.opsPerSec))
  const typical = [...phases].sort((a, b) => a.opsPerSec - b.opsPerSec)[phases.length >> 1]
  return { name, threads, opsPerSec, spread: spreadOf(typical?.perThread ?? [1]) }
}

// ---------------------------------------------------------------- (b) contended, async tasks of one thread

async function measureTasks(taskCounts: readonly number[], repetitions: number, phaseMs: number): Promise<{ rows: ContendedRow[]; exact: boolean }> {
  let exact = true
  const runPhase = async (kind: 'conmap' | 'async-mutex', tasks: number, ms: number): Promise<Phase> => {
    const mutex = new Mutex()
    const asyncMutex = new AsyncMutex()
    let counter = 0
    const end = performance.now() + ms
    const task = async (): Promise<number> => {
      let ops = 0
      while (performance.now() < end) {
        if (kind === 'conmap') {
          await mutex.lockAsync()
          const seen = counter
          await null // a real critical section of async code: it spans an await
          counter = seen + 1
          mutex.unlock()
        } else {
          const release = await asyncMutex.acquire()
          const seen = counter
          await null
          counter = seen + 1
          release()
        }
        ops++
      }
      return ops
    }
    const began = performance.now()
    const perThread = await Promise.all(Array.from({ length: tasks }, task))
    const elapsed = performance.now() - began
    const total = perThread.reduce((a, b) => a + b, 0)
    const ok = counter === total
    exact &&= ok
    return { opsPerSec: (total / elapsed) * 1000, perThread, exact: ok }
  }
  const configs = taskCounts.flatMap((tasks) => [
    { name: 'conmap Mutex await lockAsync()/unlock()', kind: 'conmap' as const, tasks },
    { name: 'async-mutex await acquire()/release()', kind: 'async-mutex' as const, tasks },
  ])
  for (const c of configs) await runPhase(c.kind, c.tasks, phaseMs / 4)
  const results: Phase[][] = configs.map(() => [])
  for (let rep = 0; rep < repetitions; rep++) {
    for (const [i, c] of configs.entries()) results[i]?.push(await runPhase(c.kind, c.tasks, phaseMs))
  }
  return { rows: configs.map((c, i) => rowOf(c.name, c.tasks, results[i] ?? [])), exact }
}
