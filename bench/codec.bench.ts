/**
 * Micro-benchmark of the codec hot paths, printed as ns/op (not wired into any script):
 *
 *   npx tsc -p . && node dist/bench/codec.bench.js
 *
 * hashKey on short string keys runs beside two unseeded baselines in the same process: FNV-1a
 * (the classic cheap string hash) and a murmur3-style Math.imul mix with fmix32, the design the
 * brief suggested, which hash.ts rejects for its seed-independent collisions. The gap between
 * them is the price of HashDoS resistance. Each case runs over 1024 distinct inputs so no branch
 * predictor or inline cache sees a single value.
 */
import { bytesEqual, hashKey, jsonCodec, keyEquals, KeyKind, keyViews, numberCodec, readKey, structuredCodec, writeKey } from '../src/codec/index.js'

const SEED0 = 0x9e3779b9
const SEED1 = 0x7f4a7c15
let sink = 0

function bench(name: string, iterations: number, run: (i: number) => number): void {
  for (let i = 0; i < iterations / 4; i++) sink ^= run(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) sink ^= run(i)
  const ns = Number(process.hrtime.bigint() - start) / iterations
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(8)} ns/op`)
}

function fnv1a(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function murmurStyle(key: string): number {
  let h = SEED0 | 0
  const pairsEnd = key.length - (key.length & 1)
  let i = 0
  for (; i < pairsEnd; i += 2) {
    let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16)
    k = Math.imul((Math.imul(k, 0xcc9e2d51) << 15) | (Math.imul(k, 0xcc9e2d51) >>> 17), 0x1b873593)
    h ^= k
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
  }
  if (i < key.length) h ^= Math.imul(key.charCodeAt(i), 0xcc9e2d51)
  h ^= key.length
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const shortKeys = Array.from({ length: 1024 }, (_, i) => `user:${1000 + i}`)
const longKeys = Array.from({ length: 1024 }, (_, i) => `session:${i.toString(36).padStart(8, '0')}:${'abcdefghij'.repeat(6)}`)
const integers = Array.from({ length: 1024 }, (_, i) => i * 7919)
const bigints = Array.from({ length: 1024 }, (_, i) => 1_700_000_000_000_000_000n + BigInt(i))
const N = 2_000_000

console.log(`node ${process.version}, ${N} iterations per case`)
for (let round = 1; round <= 2; round++) {
  console.log(`-- round ${round}`)
  bench("FNV-1a, 'user:NNNN' (baseline)", N, (i) => fnv1a(shortKeys[i & 1023]!))
  bench("murmur3-style, 'user:NNNN' (baseline)", N, (i) => murmurStyle(shortKeys[i & 1023]!))
  bench("hashKey, 'user:NNNN'", N, (i) => hashKey(shortKeys[i & 1023]!, KeyKind.string, SEED0, SEED1))
  bench('FNV-1a, 77-char keys (baseline)', N / 4, (i) => fnv1a(longKeys[i & 1023]!))
  bench('hashKey, 77-char keys', N / 4, (i) => hashKey(longKeys[i & 1023]!, KeyKind.string, SEED0, SEED1))
  bench('hashKey, integer numbers', N, (i) => hashKey(integers[i & 1023]!, KeyKind.number, SEED0, SEED1))
  bench('hashKey, 61-bit bigints', N / 4, (i) => hashKey(bigints[i & 1023]!, KeyKind.bigint, SEED0, SEED1))
}

const views = keyViews(new SharedArrayBuffer(1024 * 64))
shortKeys.forEach((key, i) => writeKey(key, KeyKind.string, views, i * 64))
bench("keyEquals hit, 'user:NNNN'", N, (i) => (keyEquals(shortKeys[i & 1023]!, KeyKind.string, views, (i & 1023) * 64, 18, KeyKind.string) ? 1 : 0))
bench("writeKey, 'user:NNNN'", N, (i) => {
  writeKey(shortKeys[i & 1023]!, KeyKind.string, views, (i & 1023) * 64)
  return i
})
bench("readKey, 'user:NNNN'", N, (i) => (readKey(views, (i & 1023) * 64, 18, KeyKind.string) as string).length)

const memory = new Uint8Array(new SharedArrayBuffer(1 << 16))
const session = {
  id: 'user:1234',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  roles: ['admin', 'dev'],
  created: new Date(0),
  visits: 42,
  prefs: { theme: 'dark', lang: 'en-GB' },
  bio: 'x'.repeat(200),
}
for (const [name, codec] of [['structured', structuredCodec], ['json', jsonCodec]] as const) {
  const encoded = codec.encode(session)
  memory.set(encoded)
  const view = memory.subarray(0, encoded.length)
  bench(`${name}: encode session (${encoded.length} B)`, N / 20, () => codec.encode(session).length)
  bench(`${name}: decode session from shared memory`, N / 20, () => (codec.decode(view) === null ? 0 : 1))
}
bench('number: encode + decode', N, (i) => numberCodec.decode(numberCodec.encode(i)))

for (const size of [16, 64, 256, 4096]) {
  const a = new Uint8Array(size).fill(7)
  memory.set(a, 8192)
  const b = memory.subarray(8192, 8192 + size)
  bench(`bytesEqual, equal, ${size} B (one side shared)`, N / 4, () => (bytesEqual(a, b) ? 1 : 0))
}
console.log(`(sink ${sink & 1})`)
