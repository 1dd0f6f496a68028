/**
 * One small interface over every contender, so that the measuring loops are the
 * same code for all of them. Each worker opens exactly one adapter (its loops stay
 * monomorphic); a target spec says whether to attach to a structure the main thread
 * prepared or to build a fresh one (the single-thread passes).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SharedMap, type Concurrency, type SharedMapHandle } from '../index.js'
import { loadLmdb, loadObjectBuffer, loadSharedMapPeer, type LmdbDatabase, type ObjectBufferModule, type SharedMapPeer } from './peers.js'
import { isStrategy } from './contenders.js'
import type { ContenderId, ValueKind } from './result.js'

export interface Adapter {
  get(key: string): unknown
  has(key: string): boolean
  set(key: string, value: unknown): void
  /** Atomic read-modify-write where the contender has one; get then set otherwise. */
  update(key: string, fn: (value: unknown) => unknown): void
  delete(key: string): boolean
  /** Runs `body` as one write transaction where the contender has them (lmdb's loading). */
  batch(body: () => void): void
  size(): number
  /** Bytes of shared or mapped memory the structure reports holding, or null. */
  sharedBytes(): number | null
  close(): Promise<void>
}

/** Structured-cloneable: sent to workers, which open it with openAdapter(). */
export type TargetSpec =
  | { readonly kind: 'map' }
  | { readonly kind: 'shared'; readonly concurrency: Concurrency; readonly handle?: SharedMapHandle }
  | { readonly kind: 'sharedmap'; readonly instance?: SharedMapPeer; readonly capacity: number }
  | { readonly kind: 'lmdb'; readonly path?: string }
  | { readonly kind: 'objectbuffer'; readonly buffer?: SharedArrayBuffer; readonly bytes: number }

/** Longest key any benchmark uses ('user:999999'), and longest JSON of an object value (with room for its gen to grow). */
export const SHAREDMAP_KEY_CHARS = 16
export function sharedmapValueChars(values: ValueKind): number {
  return values === 'string' ? 16 : 96
}

/** A new, empty structure of the contender's kind, for one thread alone. */
export function freshTarget(contender: ContenderId, keys: number): TargetSpec {
  if (contender === 'map' || contender === 'postmessage') return { kind: 'map' }
  if (isStrategy(contender)) return { kind: 'shared', concurrency: contender }
  if (contender === 'sharedmap') return { kind: 'sharedmap', capacity: sharedmapCapacity(keys) }
  if (contender === 'lmdb') return { kind: 'lmdb' }
  return { kind: 'objectbuffer', bytes: objectbufferBytes(keys) }
}

/** sharedmap's table is fixed: room for every key at its recommended fill (at most 80-95%). */
export function sharedmapCapacity(keys: number): number {
  return Math.ceil(keys / 0.8)
}

/** objectbuffer never reuses memory (every set appends): room for a run's writes. */
export function objectbufferBytes(keys: number): number {
  return 4096 * keys + (1 << 22)
}

/** No fsync and writes straight into the map: the fastest synchronous setting, for a cache. */
const LMDB_OPTIONS = { noSync: true, useWritemap: true } as const

/**
 * `agent` numbers the threads that share one objectbuffer (its global lock needs an
 * owner id); 0 means this thread is the only user, and no lock is taken.
 */
export async function openAdapter(spec: TargetSpec, values: ValueKind, agent = 0): Promise<Adapter> {
  switch (spec.kind) {
    case 'map':
      return new MapAdapter(new Map())
    case 'shared':
      return new SharedAdapter(spec.handle === undefined ? new SharedMap({ concurrency: spec.concurrency }) : SharedMap.attach<string>(spec.handle))
    case 'sharedmap': {
      const Peer = await loadSharedMapPeer()
      if (Peer === undefined) throw new Error('sharedmap is not installed')
      const instance = spec.instance ?? new Peer(spec.capacity, SHAREDMAP_KEY_CHARS, sharedmapValueChars(values))
      if (spec.instance !== undefined) Object.setPrototypeOf(instance, Peer.prototype)
      return values === 'string' ? new SharedMapPeerAdapter(instance) : new SharedMapPeerJsonAdapter(instance)
    }
    case 'lmdb': {
      const lmdb = await loadLmdb()
      if (lmdb === undefined) throw new Error('lmdb is not installed')
      const own = spec.path === undefined ? mkdtempSync(join(tmpdir(), 'conmap-bench-lmdb-')) : undefined
      return new LmdbAdapter(lmdb.open({ path: own ?? (spec.path as string), ...LMDB_OPTIONS }), own)
    }
    case 'objectbuffer': {
      const module = await loadObjectBuffer()
      if (module === undefined) throw new Error('@bnaya/objectbuffer is not installed')
      const codecs = { textEncoder: new TextEncoder(), textDecoder: new TextDecoder() }
      const root =
        spec.buffer === undefined
          ? module.createObjectBuffer<Record<string, unknown>>(codecs, spec.bytes, {}, { useSharedArrayBuffer: true })
          : module.loadObjectBuffer<Record<string, unknown>>(codecs, spec.buffer)
      return agent === 0 ? new ObjectBufferAdapter(module, root) : new LockedObjectBufferAdapter(module, root, agent)
    }
  }
}

/** The main thread's Map behind the postMessage baseline, for its checks. */
export function adapterOverMap(map: Map<string, unknown>): Adapter {
  return new MapAdapter(map)
}

class MapAdapter implements Adapter {
  readonly #map: Map<string, unknown>
  constructor(map: Map<string, unknown>) {
    this.#map = map
  }
  get(key: string): unknown {
    return this.#map.get(key)
  }
  has(key: string): boolean {
    return this.#map.has(key)
  }
  set(key: string, value: unknown): void {
    this.#map.set(key, value)
  }
  update(key: string, fn: (value: unknown) => unknown): void {
    this.#map.set(key, fn(this.#map.get(key)))
  }
  delete(key: string): boolean {
    return this.#map.delete(key)
  }
  batch(body: () => void): void {
    body()
  }
  size(): number {
    return this.#map.size
  }
  sharedBytes(): null {
    return null
  }
  async close(): Promise<void> {}
}

class SharedAdapter implements Adapter {
  readonly #map: SharedMap<string, unknown>
  constructor(map: SharedMap<string, unknown>) {
    this.#map = map
  }
  get(key: string): unknown {
    return this.#map.get(key)
  }
  has(key: string): boolean {
    return this.#map.has(key)
  }
  set(key: string, value: unknown): void {
    this.#map.set(key, value)
  }
  update(key: string, fn: (value: unknown) => unknown): void {
    this.#map.update(key, fn)
  }
  delete(key: string): boolean {
    return this.#map.delete(key)
  }
  batch(body: () => void): void {
    body()
  }
  size(): number {
    return this.#map.size
  }
  sharedBytes(): number {
    return this.#map.stats().bytes.used
  }
  async close(): Promise<void> {}
}

class SharedMapPeerAdapter implements Adapter {
  readonly #map: SharedMapPeer
  constructor(map: SharedMapPeer) {
    this.#map = map
  }
  get(key: string): unknown {
    return this.#map.get(key)
  }
  /** sharedmap has no has(): a get that keeps the string. */
  has(key: string): boolean {
    return this.#map.get(key) !== undefined
  }
  set(key: string, value: unknown): void {
    this.#map.set(key, value as string)
  }
  update(key: string, fn: (value: unknown) => unknown): void {
    this.set(key, fn(this.get(key)))
  }
  delete(key: string): boolean {
    this.#map.delete(key)
    return true
  }
  batch(body: () => void): void {
    body()
  }
  size(): number {
    return this.#map.length
  }
  sharedBytes(): number {
    return this.#map.storage.byteLength
  }
  async close(): Promise<void> {}
}

/** Objects through sharedmap: what its README says to do, JSON in and out. */
class SharedMapPeerJsonAdapter extends SharedMapPeerAdapter {
  override get(key: string): unknown {
    const text = super.get(key) as string | undefined
    return text === undefined ? undefined : JSON.parse(text)
  }
  override set(key: string, value: unknown): void {
    super.set(key, JSON.stringify(value))
  }
}

class LmdbAdapter implements Adapter {
  readonly #db: LmdbDatabase
  readonly #ownDir: string | undefined
  constructor(db: LmdbDatabase, ownDir: string | undefined) {
    this.#db = db
    this.#ownDir = ownDir
  }
  get(key: string): unknown {
    return this.#db.get(key)
  }
  has(key: string): boolean {
    return this.#db.doesExist(key)
  }
  set(key: string, value: unknown): void {
    this.#db.putSync(key, value)
  }
  update(key: string, fn: (value: unknown) => unknown): void {
    this.#db.transactionSync(() => this.#db.putSync(key, fn(this.#db.get(key))))
  }
  delete(key: string): boolean {
    return this.#db.removeSync(key)
  }
  batch(body: () => void): void {
    this.#db.transactionSync(body)
  }
  size(): number {
    return this.#db.getStats().entryCount
  }
  sharedBytes(): number {
    const stats = this.#db.getStats()
    return (stats.lastPageNumber + 1) * stats.pageSize
  }
  async close(): Promise<void> {
    await this.#db.close()
    if (this.#ownDir !== undefined) rmSync(this.#ownDir, { recursive: true, force: true })
  }
}

class ObjectBufferAdapter implements Adapter {
  protected readonly module: ObjectBufferModule
  protected readonly root: Record<string, unknown>
  constructor(module: ObjectBufferModule, root: Record<string, unknown>) {
    this.module = module
    this.root = root
  }
  get(key: string): unknown {
    return this.root[key]
  }
  has(key: string): boolean {
    return key in this.root
  }
  set(key: string, value: unknown): void {
    this.root[key] = value
  }
  update(key: string, fn: (value: unknown) => unknown): void {
    this.root[key] = fn(this.root[key])
  }
  delete(key: string): boolean {
    return delete this.root[key]
  }
  batch(body: () => void): void {
    body()
  }
  size(): number {
    return Object.keys(this.root).length
  }
  sharedBytes(): number {
    return this.module.getUnderlyingArrayBuffer(this.root).byteLength - this.module.spaceLeft(this.root)
  }
  async close(): Promise<void> {}
}

/** Across threads objectbuffer offers one global lock; every operation holds it. */
class LockedObjectBufferAdapter extends ObjectBufferAdapter {
  readonly #agent: number
  constructor(module: ObjectBufferModule, root: Record<string, unknown>, agent: number) {
    super(module, root)
    this.#agent = agent
  }
  #locked<T>(body: () => T): T {
    while (this.module.acquireLockWait(this.#agent, this.root, 1000) !== 'have-lock') {
      // lost the race for a lock just released: wait again
    }
    try {
      return body()
    } finally {
      this.module.releaseLock(this.#agent, this.root)
    }
  }
  override get(key: string): unknown {
    return this.#locked(() => super.get(key))
  }
  override has(key: string): boolean {
    return this.#locked(() => super.has(key))
  }
  override set(key: string, value: unknown): void {
    this.#locked(() => super.set(key, value))
  }
  override update(key: string, fn: (value: unknown) => unknown): void {
    this.#locked(() => super.update(key, fn))
  }
  override delete(key: string): boolean {
    return this.#locked(() => super.delete(key))
  }
}
