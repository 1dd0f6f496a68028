/**
 * Test support: terse history builders, an independent reference implementation of
 * the map operations (written apart from src/check/map-model.ts, so that tests
 * comparing the two catch mistakes in either), and a simulator that records a
 * linearizable history from a sequential execution with random overlapping intervals.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Key, MapOp, Operation } from '../../src/check/index.js'

/** A completed operation on key 'k' by default. */
export function done(thread: number, op: MapOp, args: unknown[], result: unknown, call: number, ret: number, key: Key = 'k'): Operation {
  return { thread, key, op, args, result, call, ret }
}

export function pending(thread: number, op: MapOp, args: unknown[], call: number, key: Key = 'k'): Operation {
  return { thread, key, op, args, call }
}

/** What a sequential map answers to `op`, applying its effect to `store`. */
export function applyOp(store: Map<Key, unknown>, op: Operation): unknown {
  const present = store.has(op.key)
  const current = store.get(op.key)
  const [a, b] = op.args
  switch (op.op) {
    case 'get':
      return current
    case 'has':
      return present
    case 'set':
      store.set(op.key, a)
      return undefined
    case 'delete':
      store.delete(op.key)
      return present
    case 'loadOrStore':
      if (present) return { value: current, loaded: true }
      store.set(op.key, a)
      return { value: a, loaded: false }
    case 'loadAndDelete':
      store.delete(op.key)
      return { value: current, loaded: present }
    case 'swap':
      store.set(op.key, a)
      return { previous: current, loaded: present }
    case 'compareAndSwap':
      if (!present || !isDeepStrictEqual(current, a)) return false
      store.set(op.key, b)
      return true
    case 'compareAndDelete':
      if (!present || !isDeepStrictEqual(current, a)) return false
      store.delete(op.key)
      return true
    case 'getOrCompute':
      if (present) return current
      store.set(op.key, a)
      return a
    case 'update': {
      const desc = a as { kind: 'increment'; by: number } | { kind: 'set'; value: unknown } | { kind: 'delete' }
      if (desc.kind === 'delete') {
        store.delete(op.key)
        return undefined
      }
      const next = desc.kind === 'set' ? desc.value : ((current ?? 0) as number) + desc.by
      store.set(op.key, next)
      return next
    }
  }
}

/** Whether a recorded answer equals the reference answer (set's answer is ignored). */
export function sameAnswer(op: Operation, expected: unknown): boolean {
  return op.op === 'set' || isDeepStrictEqual(op.result, expected)
}

/** mulberry32: a small seeded PRNG, so failures reproduce. */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface SimulationOptions {
  readonly seed: number
  readonly threads: number
  readonly opsPerThread: number
  readonly keys: number
  /** Share of operations on 8 hot keys, where threads really collide. */
  readonly hotShare?: number
  /** Threads killed mid-operation: their last operation is recorded as pending. */
  readonly killed?: number
  /** Use object values as well as numbers. */
  readonly objects?: boolean
}

interface Planned {
  op: Operation
  at: number
  takesEffect: boolean
}

/**
 * Records a linearizable history: each operation gets a random interval and a
 * linearization point inside it; answers come from applying the operations to a
 * sequential map in linearization-point order.
 */
export function simulateHistory(options: SimulationOptions): Operation[] {
  const random = prng(options.seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const value = () => (options.objects === true && random() < 0.3 ? { n: Math.floor(random() * 3) } : Math.floor(random() * 5))
  const planned: Planned[] = []
  for (let thread = 0; thread < options.threads; thread++) {
    let time = random()
    const dies = thread < (options.killed ?? 0)
    for (let i = 0; i < options.opsPerThread; i++) {
      const duration = random() < 0.01 ? random() * 5 : 0.01 + random() * 0.2
      const key = random() < (options.hotShare ?? 0.3) ? `hot${Math.floor(random() * 8)}` : Math.floor(random() * options.keys)
      const [op, args] = pick<[MapOp, () => unknown[]]>([
        ['get', () => []],
        ['get', () => []],
        ['get', () => []],
        ['has', () => []],
        ['set', () => [value()]],
        ['set', () => [value()]],
        ['delete', () => []],
        ['loadOrStore', () => [value()]],
        ['loadAndDelete', () => []],
        ['swap', () => [value()]],
        ['compareAndSwap', () => [value(), value()]],
        ['compareAndSwap', () => [value(), value()]],
        ['compareAndDelete', () => [value()]],
        ['getOrCompute', () => [value()]],
        ['update', () => [{ kind: 'increment', by: 1 + Math.floor(random() * 3) }]],
        ['update', () => [pick([{ kind: 'set', value: value() }, { kind: 'delete' }])]],
      ])
      const last = dies && i === options.opsPerThread - 1
      const record: Operation = last
        ? { thread, key, op, args: args(), call: time }
        : { thread, key, op, args: args(), call: time, ret: time + duration }
      planned.push({ op: record, at: time + random() * duration, takesEffect: !last || random() < 0.5 })
      time += duration + random() * 0.05
    }
  }
  planned.sort((x, y) => x.at - y.at)
  const store = new Map<Key, unknown>()
  return planned.map(({ op, takesEffect }) => {
    if (!takesEffect) return op
    const current = store.get(op.key)
    const recorded = op.op === 'update' && (op.args[0] as { kind: string }).kind === 'increment' && current !== undefined && typeof current !== 'number'
      ? { ...op, op: 'get' as const, args: [] }
      : op
    const result = applyOp(store, recorded)
    return recorded.ret === undefined ? recorded : { ...recorded, result }
  })
}
