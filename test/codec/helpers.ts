// Shared pieces of the codec tests: placing bytes in shared memory the way the map does, and
// asserting on ConmapError codes.
import assert from 'node:assert/strict'
import { isConmapError, type ErrorCode } from '../../src/errors/index.js'

/** A copy of bytes at byteOffset inside a fresh SharedArrayBuffer, surrounded by other bytes. */
export function inSharedMemory(bytes: Uint8Array, byteOffset = 12): { view: Uint8Array; memory: Uint8Array } {
  const memory = new Uint8Array(new SharedArrayBuffer(byteOffset + bytes.length + 16))
  memory.fill(0xa5)
  memory.set(bytes, byteOffset)
  return { view: memory.subarray(byteOffset, byteOffset + bytes.length), memory }
}

/** Asserts that fn throws a ConmapError with this code whose message matches pattern. */
export function assertThrowsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isConmapError(err, code), `expected ${code}, got ${String(err)}`)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  })
}

/**
 * The own properties of each built-in prototype, to compare with assertPrototypesUnchanged.
 * (Node 24's deepStrictEqual reports two snapshots of the same descriptors as unequal, so
 * the comparison is by reference, field by field.)
 */
export function prototypeSnapshot(types: readonly { readonly prototype: object }[]): Array<Map<PropertyKey, PropertyDescriptor>> {
  return types.map((type) => new Map(Reflect.ownKeys(type.prototype).map((key) => [key, Reflect.getOwnPropertyDescriptor(type.prototype, key) as PropertyDescriptor])))
}

/** Asserts that no property of the snapshotted prototypes was added, removed or changed. */
export function assertPrototypesUnchanged(types: readonly { readonly prototype: object; readonly name: string }[], before: Array<Map<PropertyKey, PropertyDescriptor>>): void {
  const after = prototypeSnapshot(types)
  types.forEach((type, i) => {
    const was = before[i] as Map<PropertyKey, PropertyDescriptor>
    const now = after[i] as Map<PropertyKey, PropertyDescriptor>
    assert.deepEqual([...now.keys()].map(String), [...was.keys()].map(String), `${type.name}.prototype has the same own properties`)
    for (const [key, descriptor] of was) {
      const current = now.get(key) as PropertyDescriptor
      for (const field of ['value', 'get', 'set', 'writable', 'enumerable', 'configurable'] as const) {
        assert.ok(Object.is(current[field], descriptor[field]), `${type.name}.prototype.${String(key)}: ${field} unchanged`)
      }
    }
  })
}
