/**
 * The verification probe: a fresh thread that, after the storm, reads the final
 * state and proves the map still works. It runs in a thread of its own so that the
 * parent can bound it: a probe that makes no progress means a lock nobody releases.
 *
 *  1. snapshot(): the final value of every recorded key, in its history form
 *     (values.ts; history-store.ts appends them as final reads, acked-writes.ts
 *     compares them with acknowledged writes);
 *  2. checkInvariants(), which takes every shard's write lock in turn;
 *  3. a write to every shard: fresh keys until stats() shows each shard grew, then
 *     their deletion, and checkInvariants() again. A cache map is cleared first and
 *     takes the keys in batches that fit its bound, without expiry: a write at the
 *     bound evicts from its own shard, whose size then does not move.
 * It posts `{ step }` before each step, so a stuck probe names what it was doing.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { isConmapError } from '../errors/index.js'
import { SharedMap, type SharedMapHandle } from '../map/index.js'
import { historyValue, keyName } from './values.js'

export interface ProbeData {
  readonly handle: SharedMapHandle
  readonly origin: number
  /** Key indexes whose final value is wanted. */
  readonly keys: readonly number[]
  /** Whether the map is a cache map (made with ttl or maxEntries). */
  readonly cache: boolean
  /** Its bound; undefined when it has none. */
  readonly maxEntries: number | undefined
}

export interface ProbeResult {
  readonly type: 'result'
  /** The snapshot's bounds on the parent's clock. */
  readonly call: number
  readonly ret: number
  /** Present recorded keys: [index, history form of the value]. Absent when the map was poisoned. */
  readonly finals: ReadonlyArray<readonly [number, unknown]> | undefined
  /** The error code that stopped the probe at once (ERR_MAP_POISONED under 'none'). */
  readonly refused: string | undefined
  readonly invariantErrors: readonly string[]
  /** Shards that took a probe write, out of `shards`. */
  readonly shardsWritten: number
  readonly shards: number
  readonly recoveries: number
  readonly size: number
  /** The map's expirations and evictions, by all threads of the storm (0 outside cache maps). */
  readonly expirations: number
  readonly evictions: number
}

export type ProbeMessage = { readonly type: 'step'; readonly step: string } | ProbeResult

const port = parentPort
if (port === null) throw new Error('storm-probe must run in a worker thread')
const data = workerData as ProbeData
const post = (message: ProbeMessage) => port.postMessage(message)
const map = SharedMap.attach<string, unknown>(data.handle)
const now = () => performance.now() + (performance.timeOrigin - data.origin)

post({ type: 'step', step: 'reading the final state' })
const call = now()
let finals: Array<readonly [number, unknown]> | undefined
let refused: string | undefined
try {
  const snapshot = map.snapshot()
  finals = []
  for (const index of data.keys) {
    const key = keyName(index)
    if (snapshot.has(key)) finals.push([index, historyValue(snapshot.get(key))])
  }
} catch (err) {
  if (!isConmapError(err)) throw err
  refused = err.code
}
const ret = now()

const invariantErrors: string[] = []
let shardsWritten = 0
let shards = 0
let recoveries = 0
let size = 0
let expirations = 0
let evictions = 0
if (refused === undefined) {
  checkInvariants('checking invariants')
  const storm = map.stats()
  expirations = storm.expirations
  evictions = storm.evictions
  post({ type: 'step', step: 'writing to every shard' })
  if (data.cache) map.clear()
  const before = map.stats().perShard.map((s) => s.size)
  shards = before.length
  const budget = shards * 64
  const batch = Math.min(data.maxEntries ?? Infinity, shards * 16)
  const entry = data.cache ? { ttl: Infinity } : undefined
  const grown = new Set<number>()
  for (let written = 0; written < budget && grown.size < shards; ) {
    const probes: string[] = []
    for (let i = 0; i < batch; i++, written++) {
      const key = `probe:${written}`
      map.set(key, written, entry)
      probes.push(key)
    }
    map.stats().perShard.forEach((s, i) => {
      if (s.size > (before[i] ?? 0)) grown.add(i)
    })
    for (const key of probes) map.delete(key)
  }
  shardsWritten = grown.size
  checkInvariants('checking invariants after the probe writes')
  const stats = map.stats()
  recoveries = stats.recoveries
  size = stats.size
}
post({ type: 'result', call, ret, finals, refused, invariantErrors, shardsWritten, shards, recoveries, size, expirations, evictions })

function checkInvariants(step: string): void {
  post({ type: 'step', step })
  try {
    map.checkInvariants()
  } catch (err) {
    invariantErrors.push(err instanceof Error ? err.message : String(err))
  }
}
