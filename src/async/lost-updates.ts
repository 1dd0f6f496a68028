/**
 * detectLostUpdates: a map wrapper that reports the lost update across `await`
 * (`const n = m.get(k); await save(n); m.set(k, n + 1)` while another task wrote k),
 * for tests and staging. It observes one real run; it does not explore schedules.
 *
 * Telling tasks apart. Nothing marks where an async task begins, so the wrapper
 * keeps a frame per synchronous stretch of execution in an AsyncLocalStorage: the
 * first map call of a stretch forks the frame it inherited (AsyncLocalStorage
 * carries a frame from the stretch that awaited or scheduled to the stretch that
 * resumes) and enters the fork. A stretch ends when the microtask queued by the
 * fork runs (the epoch moves): anything that resumes later is another stretch.
 * So a task's continuations see the reads of its earlier stretches, and two tasks
 * never share a frame made after they parted.
 *
 * What it cannot see is which of several tasks started in one stretch made a read
 * (`Promise.all([inc(), inc()])` reads twice in the caller's stretch). Reads are
 * therefore a multiset per frame, and a later stretch claims one of them as its
 * own: by reading the key again, or by a write from the function that made the read
 * (the function is told by its definition's position, so the two inc() calls are
 * alike). Each read is thus checked by one write, and a caller that writes blindly
 * after its callee read and wrote finds nothing left to claim: no false report. A
 * write from any other function is taken for a blind write: it is reported only if
 * every unclaimed read it could belong to is stale (a timer callback writing what
 * its owner read), and claims nothing when it passes.
 *
 * A write is lost when the read it is checked against saw an older version of the
 * key than the current one: another write came in between. Versions are a counter
 * per detector, kept per key with the site of the last write (a delete keeps its
 * version, so a key never returns to an old one).
 *
 * Async maps (a RedisMap, `sharedMap.async()`, any AsyncConcurrentMap: calls that
 * return promises). A call happens somewhere between its issue and its resolution, so
 * the detector only counts what has surely happened: a read takes the version of the
 * writes resolved when its promise resolves (its value is at least that fresh), and a
 * write counts once its promise resolves (a rejected one, which may not have happened,
 * never counts). The task's write is checked twice. At issue, against the writes
 * resolved so far: a lost update is reported then, and in mode 'throw' rejected before
 * anything is sent, so the map is unchanged. At resolution, against the writes that
 * resolved meanwhile: a map answers one key's calls in the order it applies them (one
 * connection per key for a RedisMap, the call itself for a SharedMap), so a write that
 * resolved before this one was applied before it, and after the read: this write
 * overwrote it. That late report comes after the fact (mode 'throw' rejects the write's
 * promise, the write having happened). Reads go by resolution, never by issue: a write
 * still in flight when a read was issued may or may not be in the value read, and
 * counting it as seen, or as unseen, would report a write that overwrote nothing or
 * miss one that did. What is left out can only hide a report, never make a false one:
 * a map that answers out of order (two connections to one key), or a write that
 * rejected and happened anyway.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { describeValue } from '../codec/preview.js'
import { isThenable } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'

/**
 * The map operations detectLostUpdates needs: Map and SharedMap have them, and so do a
 * RedisMap and every AsyncConcurrentMap, whose calls return promises.
 */
export interface LostUpdateTarget<K, V> {
  get(key: K): V | undefined | PromiseLike<V | undefined>
  set(key: K, value: V): unknown
  has(key: K): boolean | PromiseLike<boolean>
  delete(key: K): boolean | PromiseLike<boolean>
}

/** What detectLostUpdates reports for one lost update. */
export interface LostUpdateReport<K> {
  /** The key whose earlier write this write overwrites. */
  readonly key: K
  /** Where this task read the key, before it awaited. */
  readonly readStack: string
  /** Where the other task wrote the key meanwhile. */
  readonly otherWriteStack: string
  /** Where this task writes the key now. */
  readonly writeStack: string
  /** How to make the read and the write one step. */
  readonly fix: string
  /** All of the above, as one text. */
  readonly message: string
}

/** Options of detectLostUpdates. */
export interface LostUpdateOptions<K> {
  /**
   * 'warn': a process warning per lost update (`process.emitWarning`, type
   * 'LostUpdateWarning', code ERR_LOST_UPDATE: shown once per process by Node's
   * default handler, heard with `process.on('warning')`), and the write goes ahead.
   * 'throw': the write throws a ConmapError ERR_LOST_UPDATE and the map is unchanged.
   * 'count': nothing but the count (and onLostUpdate).
   * @default 'warn'
   */
  readonly mode?: 'warn' | 'throw' | 'count' | undefined
  /**
   * Called with every report, in every mode, before the write (or the throw).
   * @default none
   */
  readonly onLostUpdate?: ((report: LostUpdateReport<K>) => void) | undefined
}

/** The wrapped map: the same API, plus the number of lost updates seen so far. */
export type LostUpdateDetector<M> = M & {
  /** Lost updates reported so far (in every mode). */
  readonly lostUpdates: number
}

const FIX =
  'make the read and the write one step: map.update(key, fn), a compareAndSwap() loop, or getVersioned() then ' +
  'setIfVersion() / deleteIfVersion() (no ABA) on a SharedMap or a RedisMap; ' +
  'or hold a KeyedMutex for the key from the read to the write; or read the key again after the await'

/** Frames deeper than this are flattened, so a lookup walks a bounded chain. */
const MAX_DEPTH = 16
/** Unclaimed reads kept per key and frame (a stretch that reads a key in a loop keeps the latest). */
const MAX_READS = 64

interface Site {
  readonly frames: readonly NodeJS.CallSite[]
  /** The function the caller runs in (file and position of its definition): what tells a reader's own write from another's. */
  readonly fn: string
}

interface Read {
  readonly version: number
  readonly site: Site
}

interface Frame {
  readonly epoch: number
  readonly reads: Map<unknown, Read[]>
  readonly parent: Frame | undefined
  readonly depth: number
}

interface Write {
  readonly version: number
  readonly site: Site | undefined
}

/** Methods of SharedMap that write atomically: never lost themselves, but other tasks' reads go stale. */
const atomicWrites: Readonly<Record<string, (result: unknown) => boolean>> = {
  update: () => true,
  swap: () => true,
  compareAndSwap: (result) => result === true,
  compareAndDelete: (result) => result === true,
  loadOrStore: (result) => (result as { loaded?: unknown } | undefined)?.loaded === false,
  loadAndDelete: (result) => (result as { loaded?: unknown } | undefined)?.loaded === true,
  setIfVersion: (result) => result === true,
  deleteIfVersion: (result) => result === true,
}

let epoch = 0
let epochEnding = false

function endEpoch(): void {
  epoch++
  epochEnding = false
}

const keepFrames = (_: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames

/** Where the caller of `below` is, and which function it runs in. */
function site(below: Function): Site {
  const prepare = Error.prepareStackTrace
  const holder: { stack?: NodeJS.CallSite[] } = {}
  let frames: NodeJS.CallSite[]
  try {
    Error.prepareStackTrace = keepFrames
    Error.captureStackTrace(holder, below)
    frames = holder.stack ?? []
  } finally {
    Error.prepareStackTrace = prepare
  }
  const top = frames[0]
  const fn = top === undefined ? '' : `${top.getFileName() ?? ''}:${top.getEnclosingLineNumber() ?? ''}:${top.getEnclosingColumnNumber() ?? ''}`
  return { frames, fn }
}

function stackOf(at: Site | undefined): string {
  if (at === undefined) return '    (not recorded)'
  return at.frames.map((frame) => `    at ${frame.toString()}`).join('\n')
}

/**
 * Wraps a Map, a SharedMap, a RedisMap or any AsyncConcurrentMap (anything with get,
 * set, has and delete, sync or returning promises) so that a lost update across
 * `await` is reported: a task reads a key, awaits, another task writes the key
 * meanwhile, and the first task then writes it (or deletes it), overwriting that
 * write. On an async map a read counts when it resolves and a write when it resolves;
 * a write is checked when it is issued and again when it resolves (the second check
 * reports a write that overwrote one still in flight at the first; mode 'throw' then
 * rejects the write's promise, the write having happened). Tasks are told apart with AsyncLocalStorage. No report for
 * a task that reads and writes with no await in between, or reads again after its
 * await. The maps' atomic writes (`update`, `compareAndSwap`, `setIfVersion`, …) are the
 * fix and are never reported; they count as writes for other tasks. Every other
 * property and method is the target's own.
 *
 * Meant for tests and staging: every get, has, set and delete captures a stack, and
 * the detector keeps a version and the last write's stack per key ever written.
 *
 * @throws ConmapError ERR_INVALID_ARGUMENT for a target without get/set/has/delete
 *   or an unknown mode; the wrapped map's set and delete throw ERR_LOST_UPDATE in mode 'throw'
 * @example
 * ```js
 * const counts = detectLostUpdates(new Map(), { mode: 'throw' })
 * async function hit(key) {
 *   const n = counts.get(key) ?? 0
 *   await save(key, n + 1)
 *   counts.set(key, n + 1)        // ERR_LOST_UPDATE if another hit() wrote key meanwhile
 * }
 * await Promise.all([hit('a'), hit('a')])
 *
 * const sessions = detectLostUpdates(new RedisMap({ client, name: 'sessions' }), { mode: 'count' })
 * const s = await sessions.get('s1')
 * await refresh(s)
 * await sessions.set('s1', s)      // counted if another task's write of 's1' resolved meanwhile
 * ```
 */
export function detectLostUpdates<M extends LostUpdateTarget<never, unknown>>(map: M, options?: LostUpdateOptions<Parameters<M['get']>[0]>): LostUpdateDetector<M> {
  const target = map as unknown as LostUpdateTarget<unknown, unknown> & Record<PropertyKey, unknown>
  for (const method of ['get', 'set', 'has', 'delete'] as const) {
    if (typeof target?.[method] !== 'function') {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `detectLostUpdates: ${describeValue(map)} has no ${method}() method`)
    }
  }
  const mode = options?.mode ?? 'warn'
  if (mode !== 'warn' && mode !== 'throw' && mode !== 'count') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `detectLostUpdates: mode must be 'warn', 'throw' or 'count', got ${describeValue(mode)}`)
  }
  const onLostUpdate = options?.onLostUpdate as ((report: LostUpdateReport<unknown>) => void) | undefined
  // An async map (AsyncConcurrentMap is AsyncIterable; Map and SharedMap are not) rejects where a sync one throws.
  const asyncMap = typeof target[Symbol.asyncIterator] === 'function'
  const frames = new AsyncLocalStorage<Frame>()
  const writes = new Map<unknown, Write>()
  let cleared: Write = { version: 0, site: undefined }
  let version = 0
  let lost = 0

  const lastWrite = (key: unknown): Write => writes.get(key) ?? cleared

  /** This stretch's frame, forked from the inherited one when the stretch is new. */
  const ownFrame = (): Frame => {
    const inherited = frames.getStore()
    if (inherited !== undefined && inherited.epoch === epoch) return inherited
    if (!epochEnding) {
      epochEnding = true
      queueMicrotask(endEpoch)
    }
    const frame = fork(inherited)
    frames.enterWith(frame)
    return frame
  }

  /** Records a read of key by the stretch that owns frame (when the read resolved, for an async map). */
  const read = (frame: Frame, key: unknown, at: Site): void => {
    const near = nearest(frame, key)
    if (near !== undefined && near.frame !== frame) near.reads.pop()
    let reads = frame.reads.get(key)
    if (reads === undefined) frame.reads.set(key, (reads = []))
    if (reads.length === MAX_READS) reads.shift()
    reads.push({ version: lastWrite(key).version, site: at })
  }

  /** Counts and tells of a lost update; in mode 'throw' returns the error to throw. */
  const lose = (key: unknown, readAt: Site, otherWrite: Site | undefined, at: Site, after: boolean): Error | undefined => {
    lost++
    const report = reportOf(key, readAt, otherWrite, at, after)
    onLostUpdate?.(report)
    if (mode === 'throw') return conmapError(ErrorCode.LOST_UPDATE, report.message)
    if (mode === 'warn') process.emitWarning(report.message, { type: 'LostUpdateWarning', code: ErrorCode.LOST_UPDATE })
    return undefined
  }

  /**
   * Checks a write of key by this stretch at `at`: reports it if it is lost (and throws
   * in mode 'throw'). Returns the read it claimed as fresh, with the version it saw, for
   * the second check of an async write; undefined when there is none.
   */
  const check = (key: unknown, at: Site): Read | undefined => {
    const frame = frames.getStore()
    const near = frame === undefined ? undefined : nearest(frame, key)
    if (near === undefined) return undefined
    const current = lastWrite(key)
    const sameFunction = (r: Read): boolean => r.site.fn === at.fn
    // A write from another function than every unclaimed read's is taken for a blind
    // write: checked against any read, it claims one only when it overwrites something.
    const reads = near.reads
    const mine = latest(reads, sameFunction) >= 0
    const candidate = mine ? sameFunction : () => true
    const fresh = latest(reads, (r) => candidate(r) && r.version === current.version)
    if (fresh >= 0) {
      return mine ? reads.splice(fresh, 1)[0] : undefined
    }
    const stale = latest(reads, candidate)
    if (stale < 0) return undefined
    const [seen] = reads.splice(stale, 1) as [Read]
    const err = lose(key, seen.site, current.site, at, false)
    if (err !== undefined) throw err
    return undefined
  }

  const wrote = (key: unknown, at: Site): void => {
    writes.set(key, { version: ++version, site: at })
  }

  /**
   * A checked write of key: sent, then counted when it has happened (at once for a sync
   * map, on resolution for an async one, after the second check, see above).
   */
  const write = (key: unknown, at: Site, send: () => unknown): unknown => {
    let claimed: Read | undefined
    try {
      claimed = check(key, at)
    } catch (err) {
      if (asyncMap) return Promise.reject(err)
      throw err
    }
    const result = send()
    if (!isThenable(result)) {
      wrote(key, at)
      return result
    }
    return (result as PromiseLike<unknown>).then((value) => {
      const current = lastWrite(key)
      const err = claimed !== undefined && current.version !== claimed.version ? lose(key, claimed.site, current.site, at, true) : undefined
      wrote(key, at)
      if (err !== undefined) throw err
      return value
    })
  }

  /** A read of key: recorded in this stretch's frame once its value is known. */
  const reading = (key: unknown, at: Site, send: () => unknown): unknown => {
    const frame = ownFrame()
    const result = send()
    if (!isThenable(result)) {
      read(frame, key, at)
      return result
    }
    return (result as PromiseLike<unknown>).then((value) => {
      read(frame, key, at)
      return value
    })
  }

  /** Runs after, now or when result resolves (for an async map); returns result's outcome. */
  const settled = (result: unknown, after: (value: unknown) => void): unknown => {
    if (!isThenable(result)) {
      after(result)
      return result
    }
    return (result as PromiseLike<unknown>).then((value) => {
      after(value)
      return value
    })
  }

  const methods: Record<PropertyKey, unknown> = {
    get: function get(key: unknown) {
      return reading(key, site(get), () => target.get(key))
    },
    has: function has(key: unknown) {
      return reading(key, site(has), () => target.has(key))
    },
    set: function set(key: unknown, value: unknown, ...rest: unknown[]) {
      const result = write(key, site(set), () => (target.set as (...args: unknown[]) => unknown).call(target, key, value, ...rest))
      return result === target ? proxy : result
    },
    delete: function remove(key: unknown) {
      return write(key, site(remove), () => target.delete(key))
    },
  }
  if (typeof target['clear'] === 'function') {
    methods['clear'] = function clear() {
      const at = site(clear)
      return settled((target['clear'] as () => unknown).call(target), () => {
        writes.clear()
        cleared = { version: ++version, site: at }
      })
    }
  }
  for (const [name, changed] of Object.entries(atomicWrites)) {
    const method = target[name]
    if (typeof method !== 'function') continue
    methods[name] = function atomicWrite(key: unknown, ...rest: unknown[]) {
      const at = site(atomicWrite)
      return settled(method.call(target, key, ...rest), (result) => {
        if (changed(result)) wrote(key, at)
      })
    }
  }
  const bound = new Map<PropertyKey, unknown>()
  const proxy = new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(methods, property)) return methods[property]
      if (property === 'lostUpdates') return lost
      const value: unknown = Reflect.get(object, property, object)
      if (typeof value !== 'function') return value
      let method = bound.get(property)
      if (method === undefined) bound.set(property, (method = (value as Function).bind(object)))
      return method
    },
  })
  return proxy as unknown as LostUpdateDetector<M>
}

function fork(parent: Frame | undefined): Frame {
  // A frame with no reads adds nothing to look up: its children hang from its parent.
  const from = parent !== undefined && parent.reads.size === 0 ? parent.parent : parent
  if (from === undefined) return { epoch, reads: new Map(), parent: undefined, depth: 0 }
  if (from.depth < MAX_DEPTH) return { epoch, reads: new Map(), parent: from, depth: from.depth + 1 }
  const reads = new Map<unknown, Read[]>()
  for (let frame: Frame | undefined = from; frame !== undefined; frame = frame.parent) {
    for (const [key, list] of frame.reads) if (!reads.has(key)) reads.set(key, list)
  }
  return { epoch, reads: new Map(), parent: { epoch: -1, reads, parent: undefined, depth: 0 }, depth: 1 }
}

/** The nearest frame (this one or an ancestor) that holds reads of key. */
function nearest(frame: Frame, key: unknown): { readonly frame: Frame; readonly reads: Read[] } | undefined {
  for (let at: Frame | undefined = frame; at !== undefined; at = at.parent) {
    const reads = at.reads.get(key)
    if (reads !== undefined) return { frame: at, reads }
  }
  return undefined
}

/** The index of the latest read that passes `test`, or -1. */
function latest(reads: readonly Read[], test: (read: Read) => boolean): number {
  for (let i = reads.length - 1; i >= 0; i--) if (test(reads[i] as Read)) return i
  return -1
}

function reportOf(key: unknown, read: Site, otherWrite: Site | undefined, write: Site, after: boolean): LostUpdateReport<unknown> {
  const readStack = stackOf(read)
  const otherWriteStack = stackOf(otherWrite)
  const writeStack = stackOf(write)
  const overwrites = after ? 'this write, already sent, overwrote that one (the other write was still in flight when this one was sent)' : 'this write overwrites that one'
  const message =
    `lost update of key ${describeValue(key)}: this task read it, awaited, and meanwhile another task wrote it; ${overwrites}\n` +
    `  the read:\n${readStack}\n  the other task's write:\n${otherWriteStack}\n  this write:\n${writeStack}\n  fix: ${FIX}`
  return { key, readStack, otherWriteStack, writeStack, fix: FIX, message }
}
