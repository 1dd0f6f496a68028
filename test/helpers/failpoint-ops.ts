/**
 * The deterministic write sequence of the crash-point tests: op i is a function of i
 * (an insert, a replacement with a larger value, or a delete), except that the
 * writer may run clear() instead, which it logs (kinds[i] = CLEAR) before running op
 * i. The test thread replays the log on a plain Map to know the state after any
 * number of acknowledged operations.
 */
import type { SharedMap } from '../../src/index.js'

export const OpKind = { PLAIN: 0, CLEAR: 1 } as const

export interface FailpointValue {
  readonly i: number
  readonly pad: string
}

/** Applies op i (of the given kind) to a SharedMap or a Map. */
export function applyOp(map: SharedMap<string, FailpointValue> | Map<string, FailpointValue>, i: number, kind: number): void {
  if (kind === OpKind.CLEAR) {
    map.clear()
  } else if (i % 4 === 0 && i >= 8) {
    // Inserted by op i - 6.
    map.delete(`k${i - 6}`)
  } else if (i % 4 === 1 && i >= 8) {
    // Inserted by op i - 2; a larger value than it had: a record of another size class.
    map.set(`k${i - 2}`, { i, pad: 'r'.repeat(8 + (i % 29)) })
  } else {
    map.set(`k${i}`, { i, pad: 'p'.repeat(i % 23) })
  }
}

/** The state after ops 0 … count-1 as logged in kinds. */
export function modelAfter(count: number, kinds: Int32Array): Map<string, FailpointValue> {
  const model = new Map<string, FailpointValue>()
  for (let i = 0; i < count; i++) applyOp(model, i, kinds[i] ?? 0)
  return model
}

/**
 * The sequence of the purge crash-point tests, on a map made full by `fill` keys
 * f0 … f(fill-1): op i = r * fill + j deletes j's key of one family (f in even rounds
 * r, c in odd ones) and inserts j's key of the other, with the same value, into the
 * block the delete freed; half-ops 2i and 2i + 1 are the two calls. The table cannot
 * grow, so its tombstones are purged in place (tables.ts).
 */
export function applyChurn(map: SharedMap<string, FailpointValue> | Map<string, FailpointValue>, half: number, fill: number): void {
  const i = half >>> 1
  const j = i % fill
  const [from, to] = Math.floor(i / fill) % 2 === 0 ? ['f', 'c'] : ['c', 'f']
  if ((half & 1) === 0) map.delete(`${from}${j}`)
  else map.set(`${to}${j}`, { i: j, pad: '' })
}

/** The state after the `fill` keys and `halves` churn half-ops. */
export function churnAfter(fill: number, halves: number): Map<string, FailpointValue> {
  const model = new Map<string, FailpointValue>()
  for (let i = 0; i < fill; i++) model.set(`f${i}`, { i, pad: '' })
  for (let half = 0; half < halves; half++) applyChurn(model, half, fill)
  return model
}
