/**
 * One RedisMap's resolved state, shared by its files (redis-map.ts, compute.ts,
 * iterate.ts): the driver, the codec, the bucket key names, the TTL scheme, and the call
 * that runs a script (in the map's scheme) on the bucket of a field once the map's meta
 * has been checked.
 */
import type { Codec, Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { awaitReplicas, runScript, type Durability, type RedisArg, type RedisDriver } from './driver.js'
import { bucketKeys, bucketOf, encodeField, escapeName, LAYOUT_VERSION, metaKey, type BucketKeys } from './layout.js'
import { META, type MapScript, type Script } from './scripts.js'
import { proposeScheme, settleScheme, type TtlMode, type TtlScheme } from './ttl-scheme.js'
import { yieldPoint } from '../shared/yield-point.js'

export class RedisContext {
  readonly driver: RedisDriver
  readonly codec: Codec<unknown>
  readonly codecId: string
  readonly name: string
  readonly esc: string
  readonly buckets: readonly BucketKeys[]
  /** ms each call waits for its reply. */
  readonly timeout: number
  readonly durability: Durability | undefined
  /** What the client asked for (ttl-scheme.ts). */
  readonly ttlMode: TtlMode
  #ready: Promise<void> | undefined
  #scheme: TtlScheme | undefined

  constructor(driver: RedisDriver, codec: Codec<unknown>, codecId: string, name: string, buckets: number, timeout: number, durability: Durability | undefined, ttlMode: TtlMode) {
    this.driver = driver
    this.codec = codec
    this.codecId = codecId
    this.name = name
    this.esc = escapeName(name)
    this.buckets = Array.from({ length: buckets }, (_, b) => bucketKeys(this.esc, b))
    this.timeout = timeout
    this.durability = durability
    this.ttlMode = ttlMode
  }

  /** The map's TTL scheme, known once ready() resolved. */
  get scheme(): TtlScheme {
    if (this.#scheme === undefined) throw new Error(`RedisMap '${this.name}': a script ran before the map's meta was checked`)
    return this.#scheme
  }

  /** Resolves once the server's meta of the map agrees with this client's (checked once). */
  ready(): Promise<void> {
    this.#ready ??= this.#checkMeta().catch((err: unknown) => {
      // A failed call (server down) is looked at again next time; a refusal stays one.
      if (!(err instanceof Error && 'code' in err && err.code === ErrorCode.INVALID_ARGUMENT)) this.#ready = undefined
      throw err
    })
    return this.#ready
  }

  async #checkMeta(): Promise<void> {
    const { proposed, nativeAvailable } = await proposeScheme(this.driver, this.buckets, this.ttlMode, this.name, this.timeout)
    const got = (await runScript(this.driver, META, [metaKey(this.esc)], [this.codecId, String(this.buckets.length), LAYOUT_VERSION, proposed], this.timeout)) as (Buffer | null)[]
    const [codec, buckets, layout, ttl] = got.map((b) => (b === null ? undefined : b.toString()))
    if (codec !== this.codecId || buckets !== String(this.buckets.length) || layout !== LAYOUT_VERSION) {
      throw conmapError(
        ErrorCode.INVALID_ARGUMENT,
        `RedisMap '${this.name}' exists on the server with codec ${codec}, ${buckets} buckets and layout ${layout}; this client has ${this.codecId}, ${this.buckets.length} buckets and layout ${LAYOUT_VERSION}`,
      )
    }
    this.#scheme = settleScheme(ttl, this.ttlMode, nativeAvailable, this.name)
  }

  /** The bucket keys and field of key (validates it: ERR_INVALID_KEY). */
  locate(key: Key): { readonly bucket: BucketKeys; readonly field: Buffer } {
    const field = encodeField(key)
    return { bucket: this.buckets[bucketOf(key, this.buckets.length)] as BucketKeys, field }
  }

  /**
   * Runs script, in the map's TTL scheme, over a bucket's hash, deadline set and version
   * hash (and extra keys); the meta must be ready. A write of a map with durability
   * resolves once the replicas acknowledged it. Under a schedule shaker ('conmap/test') the round trip may first wait
   * a few turns (the 'RedisMap.roundTrip' yield point), as a slow network would.
   */
  async run(mapScript: MapScript, bucket: BucketKeys, args: readonly RedisArg[], extraKeys: readonly RedisArg[] = []): Promise<unknown> {
    const script = mapScript[this.scheme]
    const shaken = yieldPoint('RedisMap.roundTrip')
    if (shaken !== undefined) await shaken
    const reply = await runScript(this.driver, script, [bucket.data, bucket.ttl, bucket.versions, ...extraKeys], args, this.timeout)
    if (script.writes && this.durability !== undefined) await awaitReplicas(this.driver, script, bucket.data, this.durability, this.timeout)
    return reply
  }

  runKeys(script: Script, keys: readonly RedisArg[], args: readonly RedisArg[]): Promise<unknown> {
    return runScript(this.driver, script, keys, args, this.timeout)
  }

  encode(value: unknown): Buffer {
    // A copy: the client writes the command to its socket later, after the codec may have
    // reused the buffer its bytes came in.
    return Buffer.from(this.codec.encode(value))
  }

  decode(bytes: Buffer): unknown {
    return this.codec.decode(bytes)
  }
}

/**
 * A ttl in ms as the scripts take it: whole ms, 0 for never, also past 2^45 ms (1,115 years):
 * native expiry refuses a field deadline past 2^46 - 1 ms after 1970 (HFE_MAX_ABS_TIME_MSEC,
 * in the year 4199), and both schemes treat a ttl alike.
 */
export function lifeArg(ttl: number): string {
  return ttl === 0 || ttl > 2 ** 45 ? '0' : String(Math.ceil(ttl))
}
