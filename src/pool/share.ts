/**
 * share() and attachShared(): the handles of several conmap objects as one workerData
 * field, and the objects back in a worker, typed as they were made.
 *
 * A pool runs the task module, or each task, many times in one worker; attaching
 * anew each time would give every task its own read cache and its own SharedMap
 * instance. So attachShared() keeps what it attached per thread, keyed by the
 * handle's SharedArrayBuffer object and byteOffset: every task of a worker reads the
 * same workerData, so it finds them, and the WeakMap lets an object go with its
 * buffer. A record that arrives in a new message brings new buffer objects (a clone
 * never reuses them) and is attached anew.
 *
 * The record is `{ conmap: 'Shared', version, handles }` rather than the handles at
 * top level so that no user key (not even 'conmap') can collide with the brand; the
 * brand is a string field because a structured clone drops symbols.
 */
import { codecId } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { SharedMap } from '../map/constructor.js'
import type { AttachOptions, SharedMapHandle } from '../map/types.js'
import type { Key } from '../codec/index.js'
import type { Kind } from '../shared/handle.js'
import { Mutex, type MutexHandle } from '../sync/mutex.js'
import { Once, type OnceHandle } from '../sync/once.js'
import { RWMutex, type RWMutexHandle } from '../sync/rwmutex.js'
import { Semaphore, type SemaphoreHandle } from '../sync/semaphore.js'
import { WaitGroup, type WaitGroupHandle } from '../sync/waitgroup.js'
import { SharedKeyedMutex, type SharedKeyedMutexHandle } from '../async/shared-keyed-mutex.js'
import { CircuitBreaker, type CircuitBreakerHandle } from '../guard/breaker.js'
import { AuditLog, type AuditLogHandle } from '../guard/audit.js'

/**
 * A conmap object that share() takes: a SharedMap or a sync primitive.
 * @example
 * ```ts
 * const objects: Record<string, Shareable> = { users: new SharedMap(), lock: new Mutex() }
 * ```
 */
export type Shareable = SharedMap<any, any> | Mutex | RWMutex | WaitGroup | Once | Semaphore | SharedKeyedMutex<any> | CircuitBreaker | AuditLog

/**
 * The handle of a Shareable: what share() puts in its record for it.
 * @example
 * ```ts
 * const handles: ShareableHandle[] = Object.values(share({ users, lock }).handles)
 * ```
 */
export type ShareableHandle = SharedMapHandle<any, any> | MutexHandle | RWMutexHandle | WaitGroupHandle | OnceHandle | SemaphoreHandle | SharedKeyedMutexHandle<any> | CircuitBreakerHandle | AuditLogHandle

/**
 * The typed handle of a conmap object.
 * @example
 * ```ts
 * type UsersHandle = HandleOf<SharedMap<string, User>>   // SharedMapHandle<string, User>
 * ```
 */
export type HandleOf<T extends Shareable> = T['handle']

/**
 * The object a handle attaches as.
 * @example
 * ```ts
 * type Users = AttachedOf<SharedMapHandle<string, User>>   // SharedMap<string, User>
 * type Lock = AttachedOf<MutexHandle>                       // Mutex
 * ```
 */
export type AttachedOf<H extends ShareableHandle> =
  H extends SharedMapHandle<infer K extends Key, infer V>
    ? SharedMap<K, V>
    : H extends MutexHandle
      ? Mutex
      : H extends RWMutexHandle
        ? RWMutex
        : H extends WaitGroupHandle
          ? WaitGroup
          : H extends OnceHandle
            ? Once
            : H extends SemaphoreHandle
              ? Semaphore
              : H extends SharedKeyedMutexHandle<infer K extends Key>
                ? SharedKeyedMutex<K>
                : H extends CircuitBreakerHandle
                  ? CircuitBreaker
                  : H extends AuditLogHandle
                    ? AuditLog
                    : never

/**
 * What share() returns: a plain, structured-cloneable record of typed handles, to put
 * in workerData (or a message) and give to attachShared() in the worker. T is the
 * object given to share(); name it to type a record received untyped.
 * @example
 * ```ts
 * const conmap = share({ users })             // Shared<{ users: SharedMap<string, User> }>
 * export type Conmap = typeof conmap           // for the task module
 * const { users } = attachShared(workerData.conmap as Conmap)
 * ```
 */
export interface Shared<T extends Readonly<Record<string, Shareable>> = Readonly<Record<string, Shareable>>> {
  readonly conmap: 'Shared'
  readonly version: 1
  readonly handles: { readonly [P in keyof T]: HandleOf<T[P]> }
}

/**
 * What attachShared(shared) returns: the objects shared, under the same keys, typed
 * as they were made.
 * @example
 * ```ts
 * const objects: Attached<Conmap> = attachShared(workerData.conmap as Conmap)
 * objects.users.get('u1')                      // User | undefined
 * ```
 */
export type Attached<S extends Shared<any>> = { readonly [P in keyof S['handles']]: AttachedOf<S['handles'][P]> }

/**
 * attachShared's options: for each map of the record, by its key, the SharedMap
 * attach options of this thread (a user codec, readCache, sweeper, lockTimeout; see
 * AttachOptions). Primitives take none. A map attached again in the thread must get
 * the same options as the first time (compared as given, the codec by name).
 * @default {} (every map with SharedMap.attach's defaults)
 * @example
 * ```ts
 * attachShared(conmap, { users: { lockTimeout: 2_000, readCache: 0 }, sessions: { codec: sessionCodec } })
 * ```
 */
export type AttachSharedOptions<S extends Shared<any>> = {
  readonly [P in keyof S['handles'] as S['handles'][P] extends SharedMapHandle<any, any> ? P : never]?: S['handles'][P] extends SharedMapHandle<any, infer V>
    ? AttachOptions<V>
    : never
}

type ShareableKind = Exclude<Kind, typeof Kind.Registry>

/** How each kind attaches; a Kind added without an entry here does not compile. */
const kinds: { readonly [K in ShareableKind]: { readonly type: abstract new (...args: never[]) => Shareable; attach(handle: never, options: AttachOptions): Shareable } } = {
  SharedMap: { type: SharedMap, attach: (handle: SharedMapHandle, options: AttachOptions) => SharedMap.attach(handle, options) },
  Mutex: { type: Mutex, attach: (handle: MutexHandle) => Mutex.attach(handle) },
  RWMutex: { type: RWMutex, attach: (handle: RWMutexHandle) => RWMutex.attach(handle) },
  WaitGroup: { type: WaitGroup, attach: (handle: WaitGroupHandle) => WaitGroup.attach(handle) },
  Once: { type: Once, attach: (handle: OnceHandle) => Once.attach(handle) },
  Semaphore: { type: Semaphore, attach: (handle: SemaphoreHandle) => Semaphore.attach(handle) },
  SharedKeyedMutex: { type: SharedKeyedMutex, attach: (handle: SharedKeyedMutexHandle) => SharedKeyedMutex.attach(handle) },
  CircuitBreaker: { type: CircuitBreaker, attach: (handle: CircuitBreakerHandle) => CircuitBreaker.attach(handle) },
  AuditLog: { type: AuditLog, attach: (handle: AuditLogHandle) => AuditLog.attach(handle) },
}
const kindNames = Object.keys(kinds).join(', ')

function kindOf(name: unknown): ShareableKind | undefined {
  return typeof name === 'string' && Object.hasOwn(kinds, name) ? (name as ShareableKind) : undefined
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The string keys of a plain object, refusing symbol keys (a structured clone would drop them). */
function keysOf(record: object, what: string): string[] {
  if (Object.getOwnPropertySymbols(record).length > 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, `${what} must have string keys only: a structured clone drops symbol keys`)
  return Object.keys(record)
}

/**
 * The handles of several conmap objects as one plain, structured-cloneable record:
 * put it in a pool's `workerData` (or a message) and call attachShared() on it in
 * the worker. The record keeps each object's types (SharedMap<K, V> and the kinds
 * of the primitives) for attachShared to give back.
 *
 * @param objects a plain object whose values are SharedMaps, sync primitives
 *   (Mutex, RWMutex, WaitGroup, Once, Semaphore), SharedKeyedMutexes or guard() parts
 *   (CircuitBreaker, AuditLog)
 * @throws ConmapError ERR_INVALID_ARGUMENT when objects is no plain object, has a
 *   symbol key, or a value that is no conmap object (the message names the property)
 * @example
 * ```ts
 * const users = new SharedMap<string, User>({ maxEntries: 100_000 })
 * const ready = new WaitGroup()
 * const pool = new Piscina({ filename, workerData: { conmap: share({ users, ready }) } })
 * ```
 */
export function share<const T extends Readonly<Record<string, Shareable>>>(objects: T): Shared<T> {
  if (!isPlainObject(objects)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `share() takes a plain object of conmap objects, got ${describeValue(objects)}`)
  const handles: Record<string, ShareableHandle> = {}
  for (const key of keysOf(objects, 'share() objects')) {
    const value: unknown = objects[key]
    const kind = kindOf((value as { handle?: { conmap?: unknown } } | null | undefined)?.handle?.conmap)
    if (kind === undefined || !(value instanceof kinds[kind].type)) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `share(): property '${key}' is ${describeValue(value)}, not a conmap object (${kindNames})`)
    }
    handles[key] = (value as Shareable).handle
  }
  return { conmap: 'Shared', version: 1, handles: handles as Shared<T>['handles'] }
}

interface Memo {
  readonly kind: ShareableKind
  readonly object: Shareable
  readonly options: AttachOptions
}

/** What this thread attached through attachShared: buffer -> byteOffset -> object. */
const attached = new WeakMap<SharedArrayBuffer, Map<number, Memo>>()

/** The attach options compared as given (codec is compared by id). A Record, so that an option added to AttachOptions fails to compile until it is listed here. */
const comparedOptions: Readonly<Record<Exclude<keyof AttachOptions, 'codec'>, true>> = { readCache: true, sweeper: true, lockTimeout: true }
const optionNames = Object.keys(comparedOptions) as ReadonlyArray<keyof typeof comparedOptions>

/** The option in which two attaches of one map differ; codecs by id, a left-out codec being the map's own. */
function differingOption(handle: SharedMapHandle, before: AttachOptions, now: AttachOptions): string | undefined {
  const codec = (options: AttachOptions) => (options.codec === undefined ? handle.codec : codecId(options.codec))
  if (codec(before) !== codec(now)) return `codec '${codec(before)}', now '${codec(now)}'`
  for (const name of optionNames) {
    if (!Object.is(before[name], now[name])) return `${name} ${String(before[name])}, now ${String(now[name])}`
  }
  return undefined
}

function attachOne(key: string, handle: unknown, options: AttachOptions): Shareable {
  const kind = kindOf((handle as { conmap?: unknown } | null)?.conmap)
  if (kind === undefined) throw conmapError(ErrorCode.INVALID_HANDLE, `attachShared(): handles.${key} is ${describeValue(handle)}, not the handle of a conmap object (${kindNames})`)
  if (kind !== 'SharedMap' && Object.keys(options).length > 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared(): '${key}' is a ${kind}, which takes no attach options`)
  const { buffer, byteOffset } = handle as ShareableHandle
  const memo = buffer instanceof SharedArrayBuffer ? attached.get(buffer)?.get(byteOffset) : undefined
  if (memo !== undefined && memo.kind === kind) {
    const differs = kind === 'SharedMap' ? differingOption(handle as SharedMapHandle, memo.options, options) : undefined
    if (differs !== undefined) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared(): '${key}' was attached in this thread with ${differs}: pass the same options each time`)
    }
    return memo.object
  }
  // The kind's own attach validates the handle (ERR_INVALID_HANDLE) before it is remembered.
  const object = kinds[kind].attach(handle as never, options)
  let offsets = attached.get(buffer)
  if (offsets === undefined) attached.set(buffer, (offsets = new Map()))
  offsets.set(byteOffset, { kind, object, options: { ...options } })
  return object
}

/**
 * The objects of a share() record in this thread, under the same keys and types:
 * each attached with its kind's attach (SharedMap.attach, Mutex.attach, …). Memoized
 * per thread: called again with the same record (every task of a pool worker may
 * call it on workerData), it returns the same objects. A record received in another
 * message is attached anew.
 *
 * @param shared what share() returned, as received (workerData, a message)
 * @param options per map key, SharedMap.attach options for this thread (default: none)
 * @throws ConmapError ERR_INVALID_ARGUMENT when shared is no share() record, an
 *   option names a key that is not a map of it, or a map already attached here
 *   was attached with other options (the message names the key and the option);
 *   ERR_INVALID_HANDLE when a handle in it is no conmap handle (naming the key)
 * @example
 * ```ts
 * import { workerData } from 'piscina'
 * const { users, ready } = attachShared(workerData.conmap)       // JavaScript
 * // TypeScript: name the types of what the worker receives untyped
 * const typed = attachShared(workerData.conmap as Shared<{ users: SharedMap<string, User> }>, { users: { lockTimeout: 2_000 } })
 * typed.users.get('u1')                                            // User | undefined
 * ```
 */
export function attachShared<S extends Shared<any>>(shared: S, options: AttachSharedOptions<S> = {}): Attached<S> {
  const record = shared as Partial<Shared> | null
  if (typeof record !== 'object' || record === null || record.conmap !== 'Shared' || !isPlainObject(record.handles)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared() takes what share() returned, got ${describeValue(shared)}`)
  }
  if (record.version !== 1) throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared(): unsupported share() record version ${describeValue(record.version)}`)
  if (!isPlainObject(options)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared() options must be a plain object, got ${describeValue(options)}`)
  const handles = record.handles
  for (const key of keysOf(options, 'attachShared() options')) {
    if (!Object.hasOwn(handles, key)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared() options name '${key}', which the share() record does not have`)
  }
  const objects: Record<string, Shareable> = {}
  for (const key of Object.keys(handles)) {
    const own: unknown = (options as Readonly<Record<string, unknown>>)[key] ?? {}
    if (!isPlainObject(own)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `attachShared() options.${key} must be a plain object, got ${describeValue(own)}`)
    objects[key] = attachOne(key, handles[key], own)
  }
  return objects as Attached<S>
}
