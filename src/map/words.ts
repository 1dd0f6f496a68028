/**
 * Word copies between shared memory and a thread's private scratch, with Atomics.
 *
 * Why Atomics, for every word an optimistic reader uses (the argument is in
 * read.ts's overview): under the ECMAScript memory model a plain read that
 * races with a write may return that write even when it comes after the reader's
 * closing seq load, and a plain store may become visible before the seq increment
 * that precedes it. Only SeqCst accesses to the same location are ordered, so the
 * reader copies what it depends on with Atomics.load and decides on the private
 * copy, and writers store into memory that readers may be reading with
 * Atomics.store. Atomics.load/store are calls in V8 (about 10 ns each on x86-64),
 * so the copy is by 32-bit word, never by byte or code unit.
 */
import type { KeyViews } from '../codec/index.js'

/** Byte, code-unit and word views of one buffer (an arena's, or a thread's scratch). */
export interface Views extends KeyViews {
  readonly u8: Uint8Array
}

/** Fixed-length views of the first `byteLength` bytes (a multiple of 4) of buffer. */
export function viewsOf(buffer: ArrayBufferLike, byteLength: number): Views {
  return { u8: new Uint8Array(buffer, 0, byteLength), u16: new Uint16Array(buffer, 0, byteLength >>> 1), u32: new Uint32Array(buffer, 0, byteLength >>> 2) }
}

/** This thread's private copy of shared words, grown on demand. */
let scratch = makeScratch(256)

function makeScratch(bytes: number): Views {
  return viewsOf(new ArrayBuffer(bytes), bytes)
}

/**
 * Copies `count` words from shared `u32` at word `from` into this thread's scratch
 * (starting at word 0) with Atomics.load, and returns the scratch: valid until the
 * next call. The caller has checked that the words are inside `u32`.
 */
export function loadWords(u32: Uint32Array, from: number, count: number): Views {
  if (count * 4 > scratch.u8.length) scratch = makeScratch(2 ** Math.ceil(Math.log2(count * 4)))
  const into = scratch.u32
  for (let i = 0; i < count; i++) into[i] = Atomics.load(u32, from + i)
  return scratch
}

/** A scratch of at least `bytes` bytes for building words to store (contents undefined). */
export function scratchFor(bytes: number): Views {
  if (bytes > scratch.u8.length) scratch = makeScratch(2 ** Math.ceil(Math.log2(bytes)))
  return scratch
}

/** Stores `count` words of `words` (from word 0) at word `to` of shared `u32` with Atomics.store. */
export function storeWords(u32: Uint32Array, to: number, words: Uint32Array, count: number): void {
  for (let i = 0; i < count; i++) Atomics.store(u32, to + i, words[i] ?? 0)
}

/** Stores `count` zero words at word `to` with Atomics.store. */
export function zeroWords(u32: Uint32Array, to: number, count: number): void {
  for (let i = 0; i < count; i++) Atomics.store(u32, to + i, 0)
}
