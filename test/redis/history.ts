// Recorded concurrent histories of RedisMap calls for the linearizability checker
// (conmap/check): several maps (each on its own connection), a few async tasks on each,
// random single-key operations on a few keys. A call that rejected with
// ERR_REDIS_INDETERMINATE is recorded as pending (it may or may not have taken effect).
import { performance } from 'node:perf_hooks'
import type { Operation } from '../../src/check/index.js'
import type { RedisMap } from '../../src/redis/index.js'

const KEYS = ['a', 'b', 'c', 'd']

export async function recordHistory(maps: readonly RedisMap<string, number>[], tasksPerMap: number, opsPerTask: number, seed: number): Promise<Operation[]> {
  const history: Operation[] = []
  let state = seed >>> 0
  const random = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return (state >>> 16) % n
  }
  const tasks = maps.flatMap((map, m) =>
    Array.from({ length: tasksPerMap }, async (_, t) => {
      const thread = m * tasksPerMap + t
      for (let i = 0; i < opsPerTask; i++) {
        const key = KEYS[random(KEYS.length)] as string
        const v = random(5)
        const w = random(5)
        const [op, args, run] = pick(random(10), map, key, v, w)
        const call = performance.now()
        try {
          const result = await run()
          history.push({ thread, key, op, args, result, call, ret: performance.now() })
        } catch (err) {
          if ((err as { code?: string }).code !== 'ERR_REDIS_INDETERMINATE') throw err
          history.push({ thread, key, op, args, call })
        }
      }
    }),
  )
  await Promise.all(tasks)
  return history
}

function pick(which: number, map: RedisMap<string, number>, key: string, v: number, w: number): [Operation['op'], unknown[], () => Promise<unknown>] {
  switch (which) {
    case 0:
      return ['set', [v], () => map.set(key, v)]
    case 1:
      return ['delete', [], () => map.delete(key)]
    case 2:
      return ['loadOrStore', [v], () => map.loadOrStore(key, v)]
    case 3:
      return ['loadAndDelete', [], () => map.loadAndDelete(key)]
    case 4:
      return ['swap', [v], () => map.swap(key, v)]
    case 5:
      return ['compareAndSwap', [v, w], () => map.compareAndSwap(key, v, w)]
    case 6:
      return ['compareAndDelete', [v], () => map.compareAndDelete(key, v)]
    case 7:
      return ['update', [{ kind: 'increment', by: 1 }], () => map.update(key, (n) => (n ?? 0) + 1)]
    case 8:
      return ['getOrCompute', [v], () => map.getOrComputeAsync(key, async () => v)]
    default:
      return ['get', [], () => map.get(key)]
  }
}
