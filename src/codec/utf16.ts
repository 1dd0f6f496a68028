/**
 * JS strings from their code units in memory (keys and string values of a map):
 * UTF-16, or one byte per unit for strings whose units are all below 256.
 *
 * String.fromCharCode over a plain array of the code units builds one flat string in
 * one call. Concatenating code unit by code unit, the obvious loop, costs several
 * times more and, past 12 characters, leaves a chain of cons strings: about 500 bytes
 * of heap for a 27-character value against 48 flat, which matters for strings that
 * are kept (read caches). A UTF-16 TextDecoder would replace lone surrogates, which
 * the map keeps. The array is reused, and the engine's argument limit is respected by
 * chunks.
 */
const CHUNK = 4096
const codes: number[] = []

export function readUtf16(u16: Uint16Array, at: number, units: number): string {
  return readUnits(u16, at, units)
}

export function readLatin1(u8: Uint8Array, at: number, units: number): string {
  return readUnits(u8, at, units)
}

/** Whether every code unit of text is below 256 (so readLatin1 can hold it). */
export function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false
  return true
}

function readUnits(units: Uint8Array | Uint16Array, at: number, count: number): string {
  if (count <= CHUNK) return fromCodes(units, at, count)
  let text = ''
  for (let i = 0; i < count; i += CHUNK) text += fromCodes(units, at + i, Math.min(CHUNK, count - i))
  return text
}

function fromCodes(units: Uint8Array | Uint16Array, at: number, count: number): string {
  codes.length = count
  for (let i = 0; i < count; i++) codes[i] = units[at + i] ?? 0
  return String.fromCharCode.apply(null, codes)
}
