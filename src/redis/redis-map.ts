/**
 * RedisMap: SharedMap's contract, async, on one Redis server or a Redis Cluster.
 *
 * Design overview. The files of src/redis, by concern:
 *   layout.ts   server key names, hash tags, fields (the encoded keys) and buckets
 *   scripts.ts  one Lua script per operation, in the text of each TTL scheme
 *   ttl-preludes.ts, ttl-scheme.ts  the two TTL schemes (server's per-field expiry, or an
 *               emulation on the server's clock) and which one a map runs on
 *   driver.ts   the node-redis and ioredis drivers, EVALSHA/EVAL, lost replies, refusals
 *   replica-scripts.ts  the read-only read scripts of reads: 'replica'
 *   context.ts  one map's resolved state; compute.ts getOrComputeAsync; iterate.ts iteration
 *
 *  - A key lives in one bucket hash (N buckets, hash-tagged so a key's keys share one
 *    cluster slot and N buckets spread over the primaries); every single-key operation is
 *    one script on that bucket's primary, so it is atomic there and, on one primary,
 *    linearizable (the server runs one script at a time).
 *  - Reads go to primaries unless the map is made with reads: 'replica'; then the plain
 *    reads are read-only scripts the client may send to a replica (replica-scripts.ts).
 *  - compareAndSwap and compareAndDelete compare encodings byte for byte, as SharedMap.
 *  - update(fn) reads, runs fn here, and commits with a compare-and-swap on the bytes it
 *    read; a lost race retries (fn runs again), at most `retries` times, then ERR_CONFLICT.
 *  - A call whose reply is lost (connection gone, `timeout` passed) rejects with
 *    ERR_REDIS_INDETERMINATE and is not sent again. One the cluster refused before running
 *    it (TRYAGAIN while its slot moves) is sent again until `timeout`, then rejects with
 *    ERR_REDIS_UNAVAILABLE (driver.ts).
 *  - Versions (getVersioned, setIfVersion, deleteIfVersion) are SharedMap's: every write
 *    script gives the key the next value of its bucket's counter (scripts.ts), so a
 *    key's version rises with every write and never repeats.
 */
import { codecId, isThenable, resolveCodec, thenableRefused, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { AsyncFactory, ComputeAsyncOptions } from '../map/compute-async.js'
import { entryTtl, ttlOption } from '../map/expiry.js'
import type { CodecFor, EntryOptions, LoadOrStoreResult, LoadResult, SwapResult, Versioned } from '../map/types.js'
import type { AsyncConcurrentMap } from '../async-map/types.js'
import { describeValue } from '../codec/preview.js'
import { computeOnce, type ComputeRequest, type Flight } from './compute.js'
import { lifeArg, RedisContext } from './context.js'
import { driverFor, type Durability, type RedisDriver } from './driver.js'
import { scanEntries, snapshotEntries } from './iterate.js'
import { ttlModeOption, type TtlMode, type TtlScheme } from './ttl-scheme.js'
import { CLEAR, COMPARE_AND_SET, DELETE, DELETE_IF_VERSION, GET, LOAD_AND_DELETE, LOAD_OR_STORE, SET, SET_IF_VERSION, SWAP } from './scripts.js'
import { READ_SCRIPTS } from './replica-scripts.js'
import { versionArgument } from '../map/versions.js'

/** Options of `new RedisMap(options)`. */
export interface RedisMapOptions<V = unknown> {
  /**
   * A connected node-redis client or cluster (`createClient()` / `createCluster()`), or an
   * ioredis Redis or Cluster made with `autoResendUnfulfilledCommands: false` (in
   * `redisOptions` for a Cluster, which also needs `retryDelayOnFailover: 0`), so that no
   * write whose reply was lost is sent again. Credentials, TLS and reconnection are the client's.
   */
  readonly client: unknown
  /** The map's name: any non-empty string; maps of different names never share a server key. */
  readonly name: string
  /**
   * How values are stored, as SharedMap's codec. Every client of a map must use the same
   * one (checked against the server: ERR_INVALID_ARGUMENT).
   * @default 'structured'
   */
  readonly codec?: CodecFor<V> | undefined
  /**
   * Default time to live of an entry in ms (Infinity: never), judged by the server's clock.
   * @default Infinity
   */
  readonly ttl?: number | undefined
  /**
   * Bucket hashes the map is spread over: a power of two from 1 to 16384, the same for
   * every client (checked against the server). With 1, size(), clear() and snapshot()
   * are atomic; more spread a map over a cluster's primaries.
   * @default 1 on a single server, 64 on a cluster
   */
  readonly buckets?: number | undefined
  /**
   * ms a call waits for each reply before it rejects with ERR_REDIS_INDETERMINATE
   * (Infinity: no bound), and for as long sends again a script a cluster refused (TRYAGAIN
   * while its slot moves) before it rejects with ERR_REDIS_UNAVAILABLE.
   * @default 10000
   */
  readonly timeout?: number | undefined
  /**
   * Compare-and-swap attempts of one update() before it gives up with ERR_CONFLICT.
   * @default 64
   */
  readonly retries?: number | undefined
  /**
   * ms of getOrComputeAsync's lease on a key, renewed every third of it while the factory
   * runs; a client that stops (crash, SIGSTOP) past it lets another client compute.
   * @default 10000
   */
  readonly lease?: number | undefined
  /**
   * Opt-in: after every write, WAIT until `replicas` replicas acknowledged it, at most
   * `timeout` ms; fewer rejects with ERR_REDIS_INDETERMINATE whose `replicas` says how many
   * did (the write stands on the primary). It narrows the window in which a failover loses
   * an acknowledged write; it does not close it (replication stays asynchronous; WAIT
   * "does not make" the store "strongly consistent"). Not with an ioredis Cluster, which
   * cannot send WAIT to a chosen node.
   * @default none: writes resolve when the primary has them
   */
  readonly durability?: { readonly replicas: number; readonly timeout: number } | undefined
  /**
   * Where the plain reads are served. 'primary': on the key's primary, like every call,
   * so that on one primary a read sees every write acknowledged before it. 'replica' (opt-in,
   * Redis >= 7.0): get, has, getMany, getVersioned, ttlOf, size and snapshot are sent as
   * read-only scripts (EVALSHA_RO) to the node the client picks for reads, which needs a
   * cluster client set up for it: node-redis `createCluster({ useReplicas: true })`, which
   * spreads a slot's reads over its primary and replicas, or an ioredis Cluster with
   * `scaleReads: 'slave'` (or 'all'). Such a read can be stale, and is not linearizable:
   * replication is asynchronous, so a replica may not have a write its primary acknowledged
   * yet, this client's own included; entries expire by the replica's clock; and while a
   * slot moves, a replica of its old primary can answer absent for entries already moved
   * (replicas answer ASK only from Valkey 8.0). Writes, update(), getOrCompute(), every
   * conditional call and iteration (an HSCAN cursor is only good on the node that made it)
   * stay on primaries.
   * @default 'primary'
   * @example
   * ```ts
   * const client = await createCluster({ rootNodes, useReplicas: true }).connect()
   * const profiles = new RedisMap<string, Profile>({ client, name: 'profiles', reads: 'replica' })
   * ```
   */
  readonly reads?: 'primary' | 'replica' | undefined
  /**
   * How entries expire. 'native': the server's own per-field expiry (HPEXPIRE, Redis >= 7.4,
   * Valkey >= 9), lazy and active on the server; refused (ERR_INVALID_ARGUMENT, nothing
   * written) where a primary of the map lacks it. 'emulated': a deadline set per bucket on
   * the server's clock, on any Redis, expired entries removed by the scripts that meet them.
   * 'auto': native if every primary of the map has it, else emulated. The first client
   * records the scheme with the map; a client asking for the other one is refused
   * (ERR_INVALID_ARGUMENT), and 'auto' takes the map's.
   * @default 'auto'
   */
  readonly ttlMode?: TtlMode | undefined
}

function positiveInteger(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `${name} must be an integer from 1 to ${max}, got ${describeValue(value)}`)
  }
  return value
}

function durabilityOption(option: RedisMapOptions['durability'], driver: RedisDriver): Durability | undefined {
  if (option === undefined) return undefined
  if (typeof option !== 'object' || option === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'durability must be { replicas, timeout }')
  if (driver.wait === undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `durability needs WAIT on the node of each write, which ${driver.client} cannot send in a cluster`)
  // Both are required: NaN fails the check where one is missing.
  return { replicas: positiveInteger(option.replicas ?? NaN, 'durability.replicas', 0, 1024), timeout: positiveInteger(option.timeout ?? NaN, 'durability.timeout', 0, 2 ** 31 - 1) }
}

function readsOption(option: RedisMapOptions['reads'], driver: RedisDriver): 'primary' | 'replica' {
  if (option === undefined || option === 'primary') return 'primary'
  if (option !== 'replica') throw conmapError(ErrorCode.INVALID_ARGUMENT, `reads must be 'primary' or 'replica', got ${describeValue(option)}`)
  if (!driver.replicaReads) {
    throw conmapError(
      ErrorCode.INVALID_ARGUMENT,
      `reads: 'replica' needs a cluster client that sends reads to replicas (node-redis createCluster({ useReplicas: true }), ioredis new Cluster(nodes, { scaleReads: 'slave' })); this ${driver.client} client would send them all to primaries`,
    )
  }
  return option
}

/**
 * A map on Redis with SharedMap's operations, each one async and atomic per key (one Lua
 * script on the key's primary). Keys are strings, numbers or bigints compared with
 * SameValueZero (1, '1' and 1n are three keys); values are what the codec stores. Entry
 * TTLs run on the server's clock. Implements AsyncConcurrentMap.
 *
 * What is promised: on one primary, every operation is linearizable per key. On a failover
 * (Redis Cluster, Sentinel), acknowledged writes can be lost: replication is asynchronous
 * (see the README). A call with no reply rejects with ERR_REDIS_INDETERMINATE: it may or
 * may not have happened, and it is not sent again.
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { RedisMap } from 'conmap/redis'
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect()
 * const sessions = new RedisMap<string, Session>({ client, name: 'sessions', ttl: 30 * 60_000 })
 * await sessions.set('s1', { user: 'ada' })
 * await sessions.update('hits', (n) => (n ?? 0) + 1)
 * for await (const [id, session] of sessions) report(id, session)
 * ```
 */
export class RedisMap<K extends Key = Key, V = unknown> implements AsyncConcurrentMap<K, V> {
  readonly #ctx: RedisContext
  readonly #ttl: number
  readonly #retries: number
  readonly #lease: number
  readonly #reads: (typeof READ_SCRIPTS)[keyof typeof READ_SCRIPTS]
  readonly #flights = new Map<string, Flight>()

  /**
   * @throws ConmapError ERR_INVALID_ARGUMENT for a client that is not node-redis or ioredis
   *   (or an ioredis client that resends unanswered commands), a bad name or option,
   *   durability with an ioredis Cluster, or reads: 'replica' with a client that does not
   *   send reads to replicas
   */
  constructor(options: RedisMapOptions<V>) {
    if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'RedisMap needs an options object { client, name }')
    const driver = driverFor(options.client)
    const { name } = options
    if (typeof name !== 'string' || name === '') throw conmapError(ErrorCode.INVALID_ARGUMENT, `name must be a non-empty string, got ${describeValue(name)}`)
    const buckets = positiveInteger(options.buckets, 'buckets', driver.cluster ? 64 : 1, 16384)
    if ((buckets & (buckets - 1)) !== 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, `buckets must be a power of two, got ${buckets}`)
    const timeout = options.timeout === Infinity ? Infinity : positiveInteger(options.timeout, 'timeout', 10_000, 2 ** 31 - 1)
    this.#ttl = options.ttl === undefined ? 0 : ttlOption(options.ttl, 'ttl')
    this.#retries = positiveInteger(options.retries, 'retries', 64, 1_000_000)
    this.#lease = positiveInteger(options.lease, 'lease', 10_000, 2 ** 31 - 1)
    this.#reads = READ_SCRIPTS[readsOption(options.reads, driver)]
    this.#ctx = new RedisContext(driver, resolveCodec(options.codec), codecId(options.codec), name, buckets, timeout, durabilityOption(options.durability, driver), ttlModeOption(options.ttlMode))
  }

  /** The map's name. */
  get name(): string {
    return this.#ctx.name
  }

  /** Bucket hashes the map is spread over. */
  get buckets(): number {
    return this.#ctx.buckets.length
  }

  #life(options: EntryOptions | undefined): string {
    return lifeArg(entryTtl(options, this.#ttl, true))
  }

  async #run(script: Parameters<RedisContext['run']>[0], key: K, args: readonly (string | Buffer)[]): Promise<unknown> {
    const { bucket, field } = this.#ctx.locate(key)
    await this.#ctx.ready()
    return this.#ctx.run(script, bucket, [field, ...args])
  }

  #value(bytes: Buffer): V {
    return this.#ctx.decode(bytes) as V
  }

  /**
   * The value of key, or undefined. One script on the key's primary (with reads:
   * 'replica', on the node the client picks for reads).
   * @throws ConmapError ERR_INVALID_KEY for a key that is no string, number or bigint;
   *   ERR_REDIS_INDETERMINATE when no reply came; ERR_REDIS_UNAVAILABLE when the cluster
   *   refused it (TRYAGAIN while its slot moves) until the timeout
   */
  async get(key: K): Promise<V | undefined> {
    const bytes = (await this.#run(this.#reads.get, key, [])) as Buffer | null
    return bytes === null ? undefined : this.#value(bytes)
  }

  /** Whether key is present. @throws ConmapError as get() */
  async has(key: K): Promise<boolean> {
    return (await this.#run(this.#reads.has, key, [])) === 1
  }

  /**
   * Stores value under key, to live options.ttl ms (default the map's ttl).
   * @throws ConmapError ERR_INVALID_KEY; ERR_INVALID_VALUE for a value the codec cannot
   *   store; ERR_INVALID_ARGUMENT for a bad ttl; ERR_REDIS_INDETERMINATE when no reply came
   *   (the write may have happened); ERR_REDIS_UNAVAILABLE when the cluster refused it until
   *   the timeout (it did not happen)
   * @example
   * ```ts
   * await sessions.set('s1', session, { ttl: 60_000 })
   * ```
   */
  async set(key: K, value: V, options?: EntryOptions): Promise<void> {
    const life = this.#life(options)
    await this.#run(SET, key, [this.#ctx.encode(value), life])
  }

  /** Removes key; true if it was present. @throws ConmapError as get() */
  async delete(key: K): Promise<boolean> {
    return (await this.#run(DELETE, key, [])) === 1
  }

  /**
   * Go's LoadOrStore: the present value (loaded: true), or stores value (loaded: false).
   * @throws ConmapError as set()
   */
  async loadOrStore(key: K, value: V, options?: EntryOptions): Promise<LoadOrStoreResult<V>> {
    const life = this.#life(options)
    const reply = (await this.#run(LOAD_OR_STORE, key, [this.#ctx.encode(value), life])) as [number, Buffer?]
    return reply[0] === 1 ? { value: this.#value(reply[1] as Buffer), loaded: true } : { value, loaded: false }
  }

  /** Go's LoadAndDelete: removes key and returns the value it had. @throws ConmapError as get() */
  async loadAndDelete(key: K): Promise<LoadResult<V>> {
    const reply = (await this.#run(LOAD_AND_DELETE, key, [])) as [number, Buffer?]
    return reply[0] === 1 ? { value: this.#value(reply[1] as Buffer), loaded: true } : { value: undefined, loaded: false }
  }

  /** Go's Swap: stores value (with the map's ttl) and returns the previous one. @throws ConmapError as set() */
  async swap(key: K, value: V): Promise<SwapResult<V>> {
    const reply = (await this.#run(SWAP, key, [this.#ctx.encode(value), lifeArg(this.#ttl)])) as [number, Buffer?]
    return reply[0] === 1 ? { previous: this.#value(reply[1] as Buffer), loaded: true } : { previous: undefined, loaded: false }
  }

  /**
   * Go's CompareAndSwap: stores next (with the map's ttl) if key holds a value whose
   * encoding equals old's, byte for byte.
   * @throws ConmapError as set()
   */
  async compareAndSwap(key: K, old: V, next: V): Promise<boolean> {
    const expected = this.#ctx.encode(old)
    const reply = (await this.#run(COMPARE_AND_SET, key, ['1', expected, '1', this.#ctx.encode(next), lifeArg(this.#ttl)])) as [number]
    return reply[0] === 1
  }

  /** Go's CompareAndDelete: removes key if its value's encoding equals old's. @throws ConmapError as set() */
  async compareAndDelete(key: K, old: V): Promise<boolean> {
    const reply = (await this.#run(COMPARE_AND_SET, key, ['1', this.#ctx.encode(old), '0', '', '0'])) as [number]
    return reply[0] === 1
  }

  /**
   * The value of key and its version, or undefined when absent, read together. A key's
   * version is a positive integer that rises with every write of the key and never comes
   * back, not after a delete and a re-insert, nor after clear(): pass it to setIfVersion()
   * or deleteIfVersion() to write only if no write came between, which compareAndSwap()
   * cannot promise (a key that went A → B → A passes it).
   * @throws ConmapError as get()
   * @example
   * ```ts
   * const seen = await accounts.getVersioned('ada')
   * if (seen && !(await accounts.setIfVersion('ada', pay(seen.value), seen.version))) retry()
   * ```
   */
  async getVersioned(key: K): Promise<Versioned<V> | undefined> {
    const reply = (await this.#run(this.#reads.getVersioned, key, [])) as [number, Buffer?, Buffer?]
    if (reply[0] !== 1) return undefined
    return { value: this.#value(reply[1] as Buffer), version: Number((reply[2] as Buffer).toString()) }
  }

  /**
   * Stores value (to live options.ttl ms, default the map's ttl) if key's version is
   * still `version`; ABSENT_VERSION (0) stores only if key is absent. Resolves with
   * whether it stored.
   * @throws ConmapError ERR_INVALID_ARGUMENT for a version that is no non-negative safe
   *   integer or a bad ttl; as set()
   * @example
   * ```ts
   * await jobs.setIfVersion('j1', { state: 'queued' }, ABSENT_VERSION) // insert if absent
   * ```
   */
  async setIfVersion(key: K, value: V, version: number, options?: EntryOptions): Promise<boolean> {
    const expected = versionArgument(version)
    const life = this.#life(options)
    return (await this.#run(SET_IF_VERSION, key, [this.#ctx.encode(value), life, String(expected)])) === 1
  }

  /**
   * Removes key if its version is still `version` (never for ABSENT_VERSION: nothing to
   * remove). Resolves with whether it removed.
   * @throws ConmapError ERR_INVALID_ARGUMENT as setIfVersion(); as get()
   * @example
   * ```ts
   * const seen = await jobs.getVersioned('j1')
   * if (seen?.value.state === 'done') await jobs.deleteIfVersion('j1', seen.version) // not a later requeue
   * ```
   */
  async deleteIfVersion(key: K, version: number): Promise<boolean> {
    const expected = versionArgument(version)
    return (await this.#run(DELETE_IF_VERSION, key, [String(expected)])) === 1
  }

  /**
   * Atomic read-modify-write, optimistic: reads the value, runs fn on it here, and stores
   * fn's result (undefined deletes) only if the key still holds what was read, byte for
   * byte; otherwise fn runs again on the newer value, up to `retries` times. So fn may run
   * more than once and must be a pure function of its argument; no lock is held, and a
   * client that stops mid-update blocks no one. Resolves with what fn returned last.
   * @throws ConmapError ERR_CONFLICT when every attempt lost its race (nothing changed);
   *   ERR_INVALID_VALUE when fn returns a Promise; as set(); whatever fn throws (nothing changed)
   * @example
   * ```ts
   * await hits.update('home', (n) => (n ?? 0) + 1)
   * ```
   */
  async update(key: K, fn: (current: V | undefined) => V | undefined, options?: EntryOptions): Promise<V | undefined> {
    const life = this.#life(options)
    if (typeof fn !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'update needs a function')
    let current = (await this.#run(GET, key, [])) as Buffer | null
    for (let attempt = 0; attempt < this.#retries; attempt++) {
      const next = fn(current === null ? undefined : this.#value(current))
      if (isThenable(next)) throw thenableRefused(next, ' from an update() callback, which is synchronous')
      if (next === undefined && current === null) return undefined
      const args = current === null ? ['0', ''] : ['1', current]
      const write = next === undefined ? ['0', '', '0'] : ['1', this.#ctx.encode(next), life]
      const reply = (await this.#run(COMPARE_AND_SET, key, [...args, ...write])) as [number, Buffer?]
      if (reply[0] === 1) return next
      current = reply[1] ?? null
      // Jittered backoff, growing to 32 ms: racing clients spread out instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(32, 2 ** attempt)))
    }
    throw conmapError(ErrorCode.CONFLICT, `RedisMap '${this.#ctx.name}' update(): the key kept changing, ${this.#retries} compare-and-swap attempts failed; nothing was written`)
  }

  /**
   * The value of key, computing it with factory and storing it if absent, with
   * getOrComputeAsync's guarantees (one computation per absent key across clients, at
   * most one value ever stored).
   * @throws ConmapError as getOrComputeAsync()
   */
  getOrCompute(key: K, factory: (key: K) => V, options?: EntryOptions): Promise<V> {
    if (typeof factory !== 'function') return Promise.reject(conmapError(ErrorCode.INVALID_ARGUMENT, 'getOrCompute needs a factory function'))
    return this.getOrComputeAsync(key, (k) => factory(k), options?.ttl === undefined ? {} : { ttl: options.ttl })
  }

  /**
   * The value of key, computing it with factory if absent: one computation per absent
   * key across every client of the map (a lease on the key, renewed while the factory
   * runs), which the others await (polling). The value is stored only if the key is still
   * absent: at most one value is ever stored, and every caller gets the stored one. If a
   * client holding the lease stops past it (crash, pause), another computes: the factory
   * runs at least once, not exactly once. A rejection reaches this object's callers and
   * releases the lease; a factory resolving undefined stores nothing. options.signal ends
   * only this caller's wait; the factory's signal aborts when no caller is left here or
   * when options.timeout passes (its callers then get ERR_COMPUTE_TIMEOUT).
   * @throws ConmapError ERR_INVALID_ARGUMENT for bad options; ERR_COMPUTE_TIMEOUT;
   *   the factory's rejection; `options.signal.reason` on abort; as set()
   * @example
   * ```ts
   * const page = await cache.getOrComputeAsync(url, async (key, { signal }) => (await fetch(key, { signal })).text())
   * ```
   */
  async getOrComputeAsync(key: K, factory: AsyncFactory<K, V>, options: ComputeAsyncOptions = {}): Promise<V> {
    if (typeof factory !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'getOrComputeAsync needs a factory function')
    if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'options must be an object')
    const { signal, timeout } = options
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'signal must be an AbortSignal')
    const request: ComputeRequest = {
      factory: factory as AsyncFactory<Key, unknown>,
      ttl: entryTtl({ ttl: options.ttl }, this.#ttl, true),
      lease: this.#lease,
      timeout: timeout === undefined ? undefined : positiveInteger(timeout, 'timeout', 0, 2 ** 31 - 1),
      signal,
    }
    return (await computeOnce(this.#ctx, this.#flights, key, request)) as V
  }

  /**
   * Remaining ms before key expires on the server's clock (Infinity if never), or
   * undefined when absent. @throws ConmapError as get()
   */
  async ttlOf(key: K): Promise<number | undefined> {
    const ms = (await this.#run(this.#reads.ttl, key, [])) as number
    return ms === -2 ? undefined : ms === -1 ? Infinity : ms
  }

  /**
   * The TTL scheme the map runs on ('native' or 'emulated', see the ttlMode option), as
   * recorded on the server; the first call checks the map's meta, as any operation does.
   * @throws ConmapError ERR_INVALID_ARGUMENT when this client may not use the map (its
   *   codec, buckets or TTL scheme differ); ERR_REDIS_INDETERMINATE when no reply came
   * @example
   * ```ts
   * const sessions = new RedisMap({ client, name: 'sessions' }) // ttlMode 'auto'
   * if ((await sessions.ttlScheme()) === 'emulated') log('no HPEXPIRE on this server: TTLs emulated')
   * ```
   */
  async ttlScheme(): Promise<TtlScheme> {
    await this.#ctx.ready()
    return this.#ctx.scheme
  }

  /**
   * Live entries: the sum over buckets (requested together), each counted atomically
   * without its expired entries; exact with one bucket.
   */
  async size(): Promise<number> {
    await this.#ctx.ready()
    const counts = (await Promise.all(this.#ctx.buckets.map((bucket) => this.#ctx.run(this.#reads.size, bucket, [])))) as number[]
    return counts.reduce((a, b) => a + b, 0)
  }

  /**
   * Removes every entry, bucket by bucket (each atomically; the whole map atomically with
   * one bucket). The map itself (its codec and buckets) stays.
   */
  async clear(): Promise<void> {
    await this.#ctx.ready()
    await Promise.all(this.#ctx.buckets.map((bucket) => this.#ctx.run(CLEAR, bucket, [])))
  }

  /**
   * The values of keys, in their order: every key's script sent at once, so the batch
   * costs about one round trip per primary. Each read is atomic, the batch is not.
   * @throws ConmapError as get(), for any key, before anything is sent
   */
  async getMany(keys: Iterable<K>): Promise<(V | undefined)[]> {
    const located = Array.from(keys, (key) => this.#ctx.locate(key))
    await this.#ctx.ready()
    const replies = (await Promise.all(located.map(({ bucket, field }) => this.#ctx.run(this.#reads.get, bucket, [field])))) as (Buffer | null)[]
    return replies.map((bytes) => (bytes === null ? undefined : this.#value(bytes)))
  }

  /**
   * Stores every entry, all sent at once (about one round trip per primary). Atomic per
   * key, not as a whole: others may see some entries before the rest, and a batch that
   * fails part-way (ERR_REDIS_INDETERMINATE, a server error) leaves the others written.
   * @throws ConmapError as set(), for any entry, before anything is sent
   */
  async setMany(entries: Iterable<readonly [K, V]>, options?: EntryOptions): Promise<void> {
    const life = this.#life(options)
    const writes = Array.from(entries, ([key, value]) => ({ ...this.#ctx.locate(key), bytes: this.#ctx.encode(value) }))
    await this.#ctx.ready()
    await Promise.all(writes.map(({ bucket, field, bytes }) => this.#ctx.run(SET, bucket, [field, bytes, life])))
  }

  /**
   * Removes keys, all sent at once; resolves with how many were present. Atomic per key,
   * not as a whole (as setMany()).
   * @throws ConmapError as delete(), for any key, before anything is sent
   */
  async deleteMany(keys: Iterable<K>): Promise<number> {
    const located = Array.from(keys, (key) => this.#ctx.locate(key))
    await this.#ctx.ready()
    const replies = (await Promise.all(located.map(({ bucket, field }) => this.#ctx.run(DELETE, bucket, [field])))) as number[]
    return replies.reduce((a, b) => a + b, 0)
  }

  /**
   * Entries, bucket by bucket in HSCAN pages, under Go's range contract: no key twice,
   * every key present for the whole iteration seen, a key changed meanwhile with one of
   * its values. Order is not insertion order.
   * @example
   * ```ts
   * for await (const [id, session] of sessions.entries()) report(id, session)
   * ```
   */
  async *entries(): AsyncIterableIterator<[K, V]> {
    for await (const [key, value] of scanEntries(this.#ctx, true)) yield [key as K, value as V]
  }

  /** Keys, under the contract of entries(). */
  async *keys(): AsyncIterableIterator<K> {
    for await (const [key] of scanEntries(this.#ctx, false)) yield key as K
  }

  /** Values, under the contract of entries(). */
  async *values(): AsyncIterableIterator<V> {
    for await (const [, value] of scanEntries(this.#ctx, true)) yield value as V
  }

  /** Same as entries(). */
  [Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    return this.entries()
  }

  /** Calls fn for entries (as entries()) until it returns or resolves false. */
  async range(fn: (key: K, value: V) => boolean | void | Promise<boolean | void>): Promise<void> {
    for await (const [key, value] of this.entries()) {
      if ((await fn(key, value)) === false) return
    }
  }

  /**
   * A copy of the map: each bucket read at one instant (HGETALL), so the whole map at one
   * instant with one bucket; with more, bucket by bucket (requested together).
   */
  snapshot(): Promise<Map<K, V>> {
    return snapshotEntries(this.#ctx, this.#reads.entries) as Promise<Map<K, V>>
  }

  get [Symbol.toStringTag](): string {
    return 'RedisMap'
  }
}
