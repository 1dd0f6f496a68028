/**
 * Which TTL scheme a RedisMap runs on (the schemes: ttl-preludes.ts), decided once per map
 * when a client first uses it (RedisContext.ready) and recorded in the map's meta hash.
 *
 *  - The client asks, with the `ttlMode` option: 'emulated', 'native', or 'auto' (the
 *    default: native where the server has it).
 *  - Except for 'emulated', it first asks the primary of every bucket whether it has
 *    HPEXPIRE (the NATIVE_EXPIRY script, routed by the bucket's key, so in a cluster each
 *    primary that holds a bucket answers for itself). Native needs every one of them: a
 *    mixed-version cluster gets the emulation under 'auto' and a refusal under 'native',
 *    never buckets of one map on different schemes.
 *  - A new map records what the client proposed; an existing map keeps what it has. A
 *    client is refused (ERR_INVALID_ARGUMENT, nothing written) when the map's scheme is
 *    not the one it asked for, or is native while a primary lacks HPEXPIRE, so a map
 *    written with one scheme is never read with the other. 'auto' takes the map's scheme.
 *  - The scheme is not looked at again: a failover or resharding that later moves a
 *    native map's bucket onto a server without HPEXPIRE makes a write with a ttl fail with
 *    the server's error before it writes (the native prelude's HPTTL guard); entries
 *    written natively are never read through the emulation.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { describeValue } from '../codec/preview.js'
import { runScript, type RedisDriver } from './driver.js'
import type { BucketKeys } from './layout.js'
import { NATIVE_EXPIRY } from './scripts.js'

/** How a map's entries expire: the emulation, or the server's per-field expiry (ttl-preludes.ts). */
export type TtlScheme = 'emulated' | 'native'

/** What a client asks for: a scheme, or 'auto' (native where every primary of the map has it). */
export type TtlMode = 'auto' | TtlScheme

const MODES: readonly TtlMode[] = ['auto', 'native', 'emulated']

const NATIVE_NEEDS = 'native per-field expiry (HPEXPIRE: Redis >= 7.4, Valkey >= 9)'

/** The ttlMode option ('auto' when undefined). @throws ConmapError ERR_INVALID_ARGUMENT */
export function ttlModeOption(value: unknown): TtlMode {
  if (value === undefined) return 'auto'
  if (!MODES.includes(value as TtlMode)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `ttlMode must be 'auto', 'native' or 'emulated', got ${describeValue(value)}`)
  return value as TtlMode
}

/** The first bucket whose primary lacks per-field expiry, or -1 when every one has it. */
async function bucketWithoutNative(driver: RedisDriver, buckets: readonly BucketKeys[], timeout: number): Promise<number> {
  const answers = await Promise.all(buckets.map((bucket) => runScript(driver, NATIVE_EXPIRY, [bucket.data], [], timeout)))
  return answers.findIndex((answer) => answer !== 1)
}

/**
 * The scheme this client proposes for the map if it is new (probing the primaries unless
 * mode is 'emulated'), and whether they all have native expiry.
 * @throws ConmapError ERR_INVALID_ARGUMENT for 'native' where a primary lacks it
 */
export async function proposeScheme(driver: RedisDriver, buckets: readonly BucketKeys[], mode: TtlMode, name: string, timeout: number): Promise<{ readonly proposed: TtlScheme; readonly nativeAvailable: boolean }> {
  if (mode === 'emulated') return { proposed: 'emulated', nativeAvailable: false }
  const lacking = await bucketWithoutNative(driver, buckets, timeout)
  if (lacking >= 0 && mode === 'native') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `RedisMap '${name}': ttlMode 'native' needs ${NATIVE_NEEDS}, which the primary of bucket ${lacking} does not have; use 'auto' or 'emulated'`)
  }
  return { proposed: lacking < 0 ? 'native' : 'emulated', nativeAvailable: lacking < 0 }
}

/**
 * The scheme of a map whose meta says `recorded` (undefined: made before schemes were
 * recorded, so emulated), for a client that asked for mode.
 * @throws ConmapError ERR_INVALID_ARGUMENT when the client may not use it
 */
export function settleScheme(recorded: string | undefined, mode: TtlMode, nativeAvailable: boolean, name: string): TtlScheme {
  const scheme = recorded ?? 'emulated'
  if (scheme !== 'native' && scheme !== 'emulated') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `RedisMap '${name}' exists on the server with TTL scheme ${JSON.stringify(scheme)}, which this client does not know`)
  }
  if (mode !== 'auto' && mode !== scheme) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `RedisMap '${name}' exists on the server with ${scheme} TTLs; this client has ttlMode '${mode}' (a map is read with the scheme it was written with)`)
  }
  if (scheme === 'native' && !nativeAvailable) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `RedisMap '${name}' exists on the server with native TTLs, which need ${NATIVE_NEEDS}: a primary of this map does not have it`)
  }
  return scheme
}
