/**
 * The operations guard() wraps, by name: the method set of the map contract
 * (system.md §2 and §4), so that any map with these methods, sync or async, can be
 * guarded. The index of a name is what the audit log stores, so the table only grows
 * at its end. Methods of a map that are not in it are passed through unguarded.
 */

/** How a guarded operation is called. */
export interface OpSpec {
  /** Its first argument is a key (audited). */
  readonly key: boolean
  /** 'iterator': returns an iterator whose steps are guarded as one call. */
  readonly iterator: boolean
  /** Index of an options argument that takes `{ signal }`, which gets the guard's signal too. */
  readonly signalAt: number | undefined
}

const keyed: OpSpec = { key: true, iterator: false, signalAt: undefined }
const whole: OpSpec = { key: false, iterator: false, signalAt: undefined }
const iterating: OpSpec = { key: false, iterator: true, signalAt: undefined }

export const ITERATOR_OP = '[Symbol.iterator]'

export const ops: ReadonlyMap<string, OpSpec> = new Map<string, OpSpec>([
  ['get', keyed],
  ['has', keyed],
  ['set', keyed],
  ['delete', keyed],
  ['clear', whole],
  ['loadOrStore', keyed],
  ['loadAndDelete', keyed],
  ['swap', keyed],
  ['compareAndSwap', keyed],
  ['compareAndDelete', keyed],
  ['update', keyed],
  ['getOrCompute', keyed],
  ['getOrComputeAsync', { key: true, iterator: false, signalAt: 2 }],
  ['ttlOf', keyed],
  ['touch', keyed],
  ['sweep', whole],
  ['range', whole],
  ['forEach', whole],
  ['snapshot', whole],
  ['entries', iterating],
  ['keys', iterating],
  ['values', iterating],
  [ITERATOR_OP, iterating],
  ['getMany', whole],
  ['setMany', whole],
  ['deleteMany', whole],
  ['getVersioned', keyed],
  ['setIfVersion', keyed],
  ['deleteIfVersion', keyed],
])

export const opNames: readonly string[] = [...ops.keys()]
