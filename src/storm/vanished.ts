/**
 * Reads that saw a vanished key, in a cache storm: completed operations that found
 * their key absent although, by the history, it held an acknowledged write that
 * nothing could have removed. That is, some write W returned before the read was
 * invoked, and every operation that may have removed the key (a delete that found
 * it, a pending one, …) and was invoked before the read returned had returned before
 * W was invoked. Only expiry or eviction explains such a read. It is a lower bound
 * (a read racing a delete is not counted, although the entry may have vanished as
 * well), and it counts what the storm saw, not what is allowed: the checker judges.
 */
import type { Key, Operation } from '../check/index.js'
import { ABSENT, changeOf, foundAbsent, VALUE } from './acked-writes.js'

/** Counts reads returning by `cutoff`: a removal invoked later would not be in `ops`. */
export function countVanishedReads(ops: readonly Operation[], cutoff: number): number {
  const byKey = new Map<Key, Operation[]>()
  for (const op of ops) {
    const part = byKey.get(op.key)
    if (part === undefined) byKey.set(op.key, [op])
    else part.push(op)
  }
  let count = 0
  for (const history of byKey.values()) count += vanishedIn(history, cutoff)
  return count
}

function vanishedIn(history: readonly Operation[], cutoff: number): number {
  // Completed writes by return time, with the latest invocation among those returned so far.
  const writes = history.filter((op) => op.ret !== undefined && changeOf(op) === VALUE).sort((a, b) => a.ret! - b.ret!)
  const writeRets = writes.map((op) => op.ret!)
  const latestCall = prefixMax(writes.map((op) => op.call))
  // Removals by invocation time, with the latest return among those invoked so far.
  const removals = history.filter((op) => changeOf(op) === ABSENT).sort((a, b) => a.call - b.call)
  const removalCalls = removals.map((op) => op.call)
  const latestRet = prefixMax(removals.map((op) => op.ret ?? Infinity))
  let count = 0
  for (const read of history) {
    if (!foundAbsent(read) || read.ret! > cutoff) continue
    const w = countBelow(writeRets, read.call, false) - 1
    if (w < 0) continue
    // Called at the instant the read returned, a removal overlaps it (search.ts, ties).
    const r = countBelow(removalCalls, read.ret!, true) - 1
    if (r < 0 || latestRet[r]! < latestCall[w]!) count++
  }
  return count
}

function prefixMax(values: readonly number[]): number[] {
  let max = -Infinity
  return values.map((value) => (max = Math.max(max, value)))
}

/** How many of the ascending `sorted` are below `limit` (or equal to it, when `inclusive`). */
function countBelow(sorted: readonly number[], limit: number, inclusive: boolean): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    const value = sorted[mid]!
    if (value < limit || (inclusive && value === limit)) low = mid + 1
    else high = mid
  }
  return low
}
