/**
 * Where a primitive's words come from: a fresh SharedArrayBuffer when it is
 * constructed, or the buffer of a handle when it is attached. Constructors call
 * `claimStorage`; `attachStorage` runs a constructor over an opened handle instead,
 * so each class has one constructor and no public "internal" parameter.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { allocateWords, makeHandle, openHandle, type Handle, type Kind } from '../shared/handle.js'
import { ThreadRegistry } from './threads.js'

export interface Storage<K extends Kind> {
  readonly i32: Int32Array
  readonly registry: ThreadRegistry
  readonly handle: Handle<K>
  /** True when the words were just allocated and the constructor must lay them out. */
  readonly fresh: boolean
}

let attaching: Storage<Kind> | undefined

export function claimStorage<K extends Kind>(kind: K, words: () => number): Storage<K> {
  const pending = attaching
  if (pending !== undefined && pending.handle.conmap === kind) {
    attaching = undefined
    return pending as Storage<K>
  }
  const i32 = allocateWords(kind, words())
  const registry = ThreadRegistry.local()
  return { i32, registry, handle: makeHandle(kind, i32, registry.buffer), fresh: true }
}

/**
 * Validates `handle` and constructs the primitive over it. `check` rejects a
 * layout whose size words disagree with the buffer (a forged handle).
 */
export function attachStorage<K extends Kind, T>(kind: K, handle: unknown, minWords: number, check: (i32: Int32Array) => boolean, make: () => T): T {
  const { i32, registry, handle: checked } = openHandle(kind, handle, minWords)
  if (!check(i32)) throw conmapError(ErrorCode.INVALID_HANDLE, `not a ${kind} handle: its size words do not match the buffer`)
  attaching = { i32, registry: ThreadRegistry.of(registry), handle: checked, fresh: false }
  try {
    return make()
  } finally {
    attaching = undefined
  }
}
