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
