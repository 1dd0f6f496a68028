/**
 * JS strings from UTF-16 code units in memory (keys and string values of a map).
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
  if (units <= CHUNK) return fromCodes(u16, at, units)
  let text = ''
  for (let i = 0; i < units; i += CHUNK) text += fromCodes(u16, at + i, Math.min(CHUNK, units - i))
  return text
}

function fromCodes(u16: Uint16Array, at: number, units: number): string {
  codes.length = units
  for (let i = 0; i < units; i++) codes[i] = u16[at + i] ?? 0
  return String.fromCharCode.apply(null, codes)
}
