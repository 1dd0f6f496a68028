/**
 * How one RedisMap lies on the server: server key names, hash fields, buckets.
 *
 * A map named `name` with N buckets (a power of two) is N bucket hashes plus one meta hash:
 *
 *   conmap:{<esc>}:meta               codec id, N, the layout version and the TTL scheme, written
 *                                     by the first client and checked by every later one (a
 *                                     different codec, N or scheme is refused before anything
 *                                     is written; ttl-scheme.ts)
 *   conmap:{<esc>:<b>}                bucket b's entries: field = encoded key, value = codec bytes
 *                                     (under native TTLs a field carries its own expiry)
 *   conmap:{<esc>:<b>}:ttl            bucket b's deadlines (ZSET, score = server ms) under
 *                                     emulated TTLs; never made under native ones (ttl-preludes.ts)
 *   conmap:{<esc>:<b>}:ver            bucket b's versions: field = encoded key, value = its version;
 *                                     field '' = the bucket's write counter (scripts.ts)
 *   conmap:{<esc>:<b>}:lease:<field>  getOrComputeAsync's lease on one key (compute.ts)
 *
 * <esc> is the name with every UTF-16 unit outside [A-Za-z0-9_.-] written as %XXXX (4 hex
 * digits). It holds no '{', '}' or ':', so the hash tag `{<esc>:<b>}` is exactly what
 * Redis Cluster hashes for every key of bucket b (all of a key's script keys share one slot),
 * distinct names never share a server key (escaping is injective and the ':' before <b> ends
 * <esc>), and one name being a prefix of another changes nothing.
 *
 * A field is the key's kind byte (KeyKind) followed by the body SharedMap stores (key.ts):
 * UTF-16 code units for a string, the canonical float64 words for a number (-0 is 0, one
 * NaN), sign and limbs for a bigint, each 16/32-bit unit little-endian. So 1, '1' and 1n are
 * three fields, and SameValueZero-equal keys are one.
 *
 * A key's bucket is HalfSipHash-1-3 of its stored encoding (hash.ts) under the fixed seed
 * BUCKET_SEED, mod N: every client of every process must agree on it, so unlike SharedMap's
 * per-map random seed it is a constant of the layout (LAYOUT_VERSION).
 *
 * LAYOUT_VERSION history: '1' had no version hash; '2' adds it (a layout-1 map, whose
 * entries have no versions, is refused by a layout-2 client, and the converse). The meta's
 * 'ttl' field ('emulated' or 'native') came later within layout 2: a map without it was
 * made emulated, and is read so.
 */
import { hashKey, keyKind, keyViews, readKey, writeKey, encodedKeyBytes, type Key } from '../codec/index.js'

export const LAYOUT_VERSION = '2'

/** 'conm', 'ap:1': any fixed pair would do; changing it is a new LAYOUT_VERSION. */
const BUCKET_SEED = [0x636f6e6d, 0x61703a31] as const

const PLAIN = /[A-Za-z0-9_.-]/

export function escapeName(name: string): string {
  let out = ''
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string
    out += PLAIN.test(ch) ? ch : `%${name.charCodeAt(i).toString(16).padStart(4, '0')}`
  }
  return out
}

export interface BucketKeys {
  readonly data: string
  readonly ttl: string
  /** The hash of the bucket's versions and its write counter. */
  readonly versions: string
  /** Prefix of the lease keys; a key's lease is this followed by its field. */
  readonly lease: string
}

export function metaKey(esc: string): string {
  return `conmap:{${esc}}:meta`
}

export function bucketKeys(esc: string, bucket: number): BucketKeys {
  const data = `conmap:{${esc}:${bucket}}`
  return { data, ttl: `${data}:ttl`, versions: `${data}:ver`, lease: `${data}:lease:` }
}

/** The hash field of key: its kind byte, then its stored body (see above). */
export function encodeField(key: Key): Buffer {
  const kind = keyKind(key)
  const length = encodedKeyBytes(key, kind)
  // The body goes at byte 4 (writeKey wants a multiple of 4); the kind byte just before it.
  const buffer = new ArrayBuffer(4 + ((length + 3) & ~3))
  writeKey(key, kind, keyViews(buffer), 4)
  const bytes = Buffer.from(buffer, 3, 1 + length)
  bytes[0] = kind
  return bytes
}

/** The key a field encodes (the inverse of encodeField). */
export function decodeField(field: Uint8Array): Key {
  const length = field.length - 1
  const buffer = new ArrayBuffer((length + 3) & ~3)
  new Uint8Array(buffer).set(field.subarray(1))
  return readKey(keyViews(buffer), 0, length, field[0] ?? 0)
}

/** The bucket of key, among buckets (a power of two). */
export function bucketOf(key: Key, buckets: number): number {
  return (hashKey(key, keyKind(key), BUCKET_SEED[0], BUCKET_SEED[1]) >>> 0) & (buckets - 1)
}
