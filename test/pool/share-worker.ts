/**
 * A worker thread for share.test.ts: workerData.conmap is a share() record, and each
 * scenario calls attachShared() on it as pool tasks would, many times over. It ends
 * with `{ result }` or `{ error: serializeError(err) }` (the protocol of
 * test/helpers/workers.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { attachShared, serializeError, type Shared, type SharedMap, type Mutex, type RWMutex, type WaitGroup, type Once, type Semaphore } from '../../src/index.js'

export type Objects = {
  counts: SharedMap<string, number>
  mutex: Mutex
  rw: RWMutex
  done: WaitGroup
  once: Once
  permits: Semaphore
}

interface Data {
  readonly scenario: 'work' | 'mismatch' | 'badInput'
  readonly conmap: Shared<Objects>
  readonly calls: number
}

const data = workerData as Data

/** Each call stands for one pool task: attach, then use every object. */
function work(): { calls: number; sameObjects: boolean; onceRan: number } {
  const first = attachShared(data.conmap)
  let sameObjects = true
  let onceRan = 0
  for (let call = 0; call < data.calls; call++) {
    const objects = attachShared(data.conmap)
    for (const key of Object.keys(first) as Array<keyof Objects>) sameObjects &&= objects[key] === first[key]
    const { counts, mutex, rw, once, permits } = objects
    counts.update('updates', (n) => (n ?? 0) + 1)
    // A read-modify-write that is exact only because the mutex serializes it.
    mutex.runExclusive(() => counts.set('locked', (counts.get('locked') ?? 0) + 1))
    rw.runExclusive(() => counts.set('rw', (counts.get('rw') ?? 0) + 1))
    once.do(() => {
      onceRan++
      counts.update('once', (n) => (n ?? 0) + 1)
    })
    const permit = permits.acquire()
    try {
      counts.update('permitted', (n) => (n ?? 0) + 1)
    } finally {
      permit.release()
    }
  }
  first.done.done()
  return { calls: data.calls, sameObjects, onceRan }
}

function codeOf(run: () => unknown): { code: unknown; message: string } | 'no error' {
  try {
    run()
    return 'no error'
  } catch (err) {
    return { code: (err as { code?: unknown }).code, message: (err as Error).message }
  }
}

function mismatch(): unknown {
  const { counts } = attachShared(data.conmap, { counts: { lockTimeout: 500, readCache: 16 } })
  const same = attachShared(data.conmap, { counts: { lockTimeout: 500, readCache: 16, codec: 'number' } }).counts === counts
  return {
    same,
    otherTimeout: codeOf(() => attachShared(data.conmap, { counts: { lockTimeout: 600, readCache: 16 } })),
    leftOut: codeOf(() => attachShared(data.conmap)),
    otherCodec: codeOf(() => attachShared(data.conmap, { counts: { lockTimeout: 500, readCache: 16, codec: 'json' } })),
  }
}

function badInput(): unknown {
  const { handles } = data.conmap
  const bad = (value: unknown, options?: unknown) => codeOf(() => attachShared(value as Shared<Objects>, options as never))
  return {
    handle: bad(handles.counts),
    nothing: bad(undefined),
    noBrand: bad({ handles }),
    version: bad({ ...data.conmap, version: 2 }),
    forged: bad({ conmap: 'Shared', version: 1, handles: { counts: { ...handles.counts, conmap: 'Mutex' } } }),
    registry: bad({ conmap: 'Shared', version: 1, handles: { registry: { ...handles.mutex, conmap: 'Registry' } } }),
    notHandle: bad({ conmap: 'Shared', version: 1, handles: { counts: 42 } }),
    unknownOption: bad(data.conmap, { nope: {} }),
    primitiveOption: bad(data.conmap, { mutex: { lockTimeout: 5 } }),
    optionNotObject: bad(data.conmap, { counts: 5 }),
  }
}

const run = { work, mismatch, badInput }[data.scenario]
try {
  parentPort?.postMessage({ result: run() })
} catch (err) {
  parentPort?.postMessage({ error: serializeError(err) })
}
