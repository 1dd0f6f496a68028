/**
 * Who takes part, and under which name. A contender is a plain Map (the one-thread
 * reference), a SharedMap strategy, a Map in the main thread served to workers by
 * postMessage (what users do today), or a peer library.
 */
import type { Concurrency } from '../map/index.js'
import type { ContenderId, ValueKind } from './result.js'

export const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']
const PEERS = ['sharedmap', 'lmdb', 'objectbuffer'] as const
type PeerId = (typeof PEERS)[number]

export function isStrategy(id: ContenderId): id is Concurrency {
  return (STRATEGIES as readonly string[]).includes(id)
}

export function isPeer(id: ContenderId): id is PeerId {
  return (PEERS as readonly string[]).includes(id)
}

export function labelOf(id: ContenderId): string {
  if (id === 'map') return 'Map (1 thread)'
  if (id === 'postmessage') return 'Map via postMessage'
  if (id === 'objectbuffer') return '@bnaya/objectbuffer'
  if (isStrategy(id)) return `SharedMap ${id}`
  return id
}

/** The short value of mixes and preloads: 64 of them, so no set pays for building its value. */
export function valuePool(values: ValueKind): unknown[] {
  const make = entryValue(values)
  return Array.from({ length: 64 }, (_, i) => make(i))
}

/** The keys of the worker benchmarks: the same strings in every thread. */
export function workerKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `key:${i}`)
}

/** The value of the i-th entry in the single-thread and memory runs (a fresh one per call). */
export function entryValue(values: ValueKind): (i: number) => unknown {
  return values === 'string' ? (i) => `value:${i}` : smallObject
}

/** Issue 9's small object value. */
export interface SmallObject {
  readonly id: number
  readonly gen: number
  readonly name: string
  readonly tags: readonly string[]
  readonly score: number
}

function smallObject(i: number): SmallObject {
  return { id: i, gen: 0, name: `user ${i}`, tags: ['a', 'b'], score: i % 100 }
}
