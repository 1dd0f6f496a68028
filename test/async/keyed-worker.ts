/**
 * Scenarios for shared-keyed-mutex.test.ts, run inside real worker threads.
 * workerData: { scenario, startLine, locks (a SharedKeyedMutex handle) or conmap (a
 * share() record), ...inputs }. Ends with `{ result }` or `{ error: serializeError(err) }`
 * (the protocol of test/helpers/workers.ts); `{ event }` messages on the way.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { setImmediate as turn } from 'node:timers/promises'
import { SharedKeyedMutex, SharedMap, attachShared, serializeError, type Shared, type SharedKeyedMutexHandle, type SharedMapHandle } from '../../src/index.js'
import { xorshift } from '../../src/bench/keys.js'
import { arriveAtStartLine } from '../helpers/start-line.js'

export type KeyedObjects = { locks: SharedKeyedMutex<string>; counts: SharedMap<string, number> }

interface Data {
  readonly scenario: string
  readonly startLine?: SharedArrayBuffer
  readonly locks: SharedKeyedMutexHandle
  readonly counts: SharedMapHandle<string, number>
  readonly conmap: Shared<KeyedObjects>
  readonly keys: readonly string[]
  /** One Int32 per key: how many tasks hold it now, anywhere. */
  readonly holders: SharedArrayBuffer
  readonly tasks: number
  readonly rounds: number
  readonly seed: number
  readonly locked: boolean
  readonly gate: SharedArrayBuffer
  readonly timeout: number
  /** Fairness: word 0 counts workers ready, word 1 grants, word 2 + n is the index of the worker that got grant n. */
  readonly log: SharedArrayBuffer
  readonly workers: number
  readonly index: number
}

const data = workerData as Data
const port = parentPort
if (port === null) throw new Error('keyed-worker must run in a worker thread')

function emit(event: string, value?: unknown): void {
  port?.postMessage({ event, value })
}

function random(seed: number): () => number {
  const draw = xorshift(seed)
  return () => draw() / 2 ** 32
}

/** Runs `tasks` concurrent async tasks of `rounds` rounds each. */
async function inTasks(round: (next: () => number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: data.tasks }, async (_, task) => {
      const next = random(data.seed * 1000 + task)
      for (let i = 0; i < data.rounds; i++) await round(next)
    }),
  )
}

/** Marks the keys held; returns how many were already held by someone else (an exclusion failure). */
function enter(keys: readonly string[]): number {
  const holders = new Int32Array(data.holders)
  let overlaps = 0
  for (const key of keys) if (Atomics.add(holders, data.keys.indexOf(key), 1) !== 0) overlaps++
  return overlaps
}

function leave(keys: readonly string[]): void {
  const holders = new Int32Array(data.holders)
  for (const key of keys) Atomics.sub(holders, data.keys.indexOf(key), 1)
}

/** Racy read-await-write increments of counts[key], under the lock unless data.locked is false. */
async function increment(locks: SharedKeyedMutex<string>, counts: SharedMap<string, number>): Promise<{ overlaps: number }> {
  let overlaps = 0
  await inTasks(async (next) => {
    const key = data.keys[Math.floor(next() * data.keys.length)] as string
    const guard = data.locked ? await locks.lock(key, { timeout: 60_000 }) : undefined
    overlaps += data.locked ? enter([key]) : 0
    const seen = counts.get(key) ?? 0
    await turn()
    counts.set(key, seen + 1)
    if (data.locked) leave([key])
    guard?.release()
  })
  return { overlaps }
}

function waitForGate(): Promise<void> {
  const wait = Atomics.waitAsync(new Int32Array(data.gate), 0, 0)
  // A pending waitAsync does not keep the event loop alive; the interval does.
  const alive = setInterval(() => undefined, 1000)
  return (wait.async ? wait.value : Promise.resolve()).then(() => clearInterval(alive))
}

const scenarios: Record<string, () => Promise<unknown>> = {
  increment: () => increment(SharedKeyedMutex.attach<string>(data.locks), SharedMap.attach<string, number>(data.counts)),

  shared: async () => {
    const first = attachShared(data.conmap)
    const again = attachShared(data.conmap)
    const outcome = await increment(first.locks, first.counts)
    return { ...outcome, same: again.locks === first.locks && again.counts === first.counts, stripes: first.locks.stripes }
  },

  /** Several keys per request, in a random order each time, with an await while holding them. */
  multi: async () => {
    const locks = SharedKeyedMutex.attach<string>(data.locks)
    let overlaps = 0
    await inTasks(async (next) => {
      const keys = [...data.keys].sort(() => next() - 0.5).slice(0, 2 + Math.floor(next() * 2))
      await locks.runExclusive(keys, async () => {
        overlaps += enter(keys)
        await turn()
        leave(keys)
      }, { timeout: data.timeout })
    })
    return { overlaps }
  },

  hold: async () => {
    const locks = SharedKeyedMutex.attach<string>(data.locks)
    const guard = await locks.lock(data.keys)
    emit('holding')
    await waitForGate()
    guard.release()
    return { released: true }
  },

  take: async () => {
    const locks = SharedKeyedMutex.attach<string>(data.locks)
    emit('waiting')
    const guard = await locks.lock(data.keys, { timeout: data.timeout })
    const ownerDied = guard.ownerDied
    guard.release()
    return { ownerDied }
  },

  /** Every task locks one hot key again and again; the log records which worker got each grant. */
  fairness: async () => {
    const locks = SharedKeyedMutex.attach<string>(data.locks)
    const log = new Int32Array(data.log)
    const total = log.length - 2
    // Every worker ready before the first grant: one that boots late would otherwise find the grants gone.
    Atomics.add(log, 0, 1)
    while (Atomics.load(log, 0) < data.workers) await new Promise((resolve) => setTimeout(resolve, 1))
    let grants = 0
    await Promise.all(
      Array.from({ length: data.tasks }, async () => {
        for (;;) {
          const guard = await locks.lock('hot', { timeout: 60_000 })
          const n = Atomics.add(log, 1, 1)
          if (n < total) {
            log[2 + n] = data.index
            grants++
          }
          guard.release()
          if (n >= total) return
        }
      }),
    )
    return { grants }
  },
}

async function main(): Promise<void> {
  const run = scenarios[data.scenario]
  if (run === undefined) throw new Error(`unknown scenario ${data.scenario}`)
  arriveAtStartLine(data.startLine)
  try {
    port?.postMessage({ result: await run() })
  } catch (err) {
    port?.postMessage({ error: serializeError(err) })
  }
}

void main()
