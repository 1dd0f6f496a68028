/**
 * The peer libraries, loaded with dynamic import() because they are optional: a
 * user's `conmap bench` works without them and says which were skipped. Only the
 * few calls the benchmark makes are typed here, from each peer's README.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { PeerInfo } from './result.js'

type PeerName = 'sharedmap' | 'lmdb' | '@bnaya/objectbuffer'

/** npm 'sharedmap': fixed-size, string keys and values only, chained buckets with line locks. */
export interface SharedMapPeer {
  get(key: string): string | undefined
  set(key: string, value: string): void
  delete(key: string): void
  readonly length: number
  readonly storage: SharedArrayBuffer
}
export interface SharedMapPeerClass {
  new (maxSize: number, keySize: number, objSize: number): SharedMapPeer
  readonly prototype: object
}

export interface LmdbDatabase {
  get(key: string): unknown
  doesExist(key: string): boolean
  putSync(key: string, value: unknown): boolean
  removeSync(key: string): boolean
  transactionSync<T>(body: () => T): T
  getStats(): { readonly entryCount: number; readonly pageSize: number; readonly lastPageNumber: number }
  close(): Promise<void>
}
export interface LmdbModule {
  open(options: { readonly path: string; readonly noSync?: boolean; readonly useWritemap?: boolean }): LmdbDatabase
}

interface TextCodecs {
  readonly textEncoder: InstanceType<typeof TextEncoder>
  readonly textDecoder: InstanceType<typeof TextDecoder>
}
export interface ObjectBufferModule {
  createObjectBuffer<T>(codecs: TextCodecs, size: number, initial: T, options: { readonly useSharedArrayBuffer: boolean }): T
  loadObjectBuffer<T>(codecs: TextCodecs, buffer: SharedArrayBuffer): T
  getUnderlyingArrayBuffer(objectBuffer: object): SharedArrayBuffer
  spaceLeft(objectBuffer: object): number
  acquireLockWait(agentId: number, objectBuffer: object, timeout: number): string
  releaseLock(agentId: number, objectBuffer: object): boolean
}

/** A specifier in a variable keeps TypeScript from resolving (and requiring) the peer's own types. */
async function importPeer(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(name)) as Record<string, unknown>
  } catch {
    return undefined
  }
}

export async function loadSharedMapPeer(): Promise<SharedMapPeerClass | undefined> {
  return (await importPeer('sharedmap'))?.default as SharedMapPeerClass | undefined
}

export async function loadLmdb(): Promise<LmdbModule | undefined> {
  const module = await importPeer('lmdb')
  return typeof module?.open === 'function' ? (module as unknown as LmdbModule) : undefined
}

export async function loadObjectBuffer(): Promise<ObjectBufferModule | undefined> {
  const module = await importPeer('@bnaya/objectbuffer')
  return typeof module?.createObjectBuffer === 'function' ? (module as unknown as ObjectBufferModule) : undefined
}

/** lru-cache (v11): the cache section's reference, one thread's cache. */
export interface LruCache {
  get(key: string): string | undefined
  set(key: string, value: string): unknown
}
/** lru-cache with a fetchMethod: fetch() of an absent key runs it once at a time, within this one instance. */
export interface LruFetchCache {
  fetch(key: string): Promise<string | undefined>
}
export type LruFetchMethod = (key: string, stale: string | undefined, options: { readonly signal: AbortSignal }) => Promise<string>
export interface LruCacheClass {
  new (options: { readonly max: number; readonly ttl?: number }): LruCache
  new (options: { readonly max: number; readonly fetchMethod: LruFetchMethod }): LruFetchCache
}

export async function loadLruCache(): Promise<LruCacheClass | undefined> {
  const module = await importPeer('lru-cache')
  return typeof module?.LRUCache === 'function' ? (module.LRUCache as LruCacheClass) : undefined
}

const PEER_NOTES: Readonly<Record<PeerName, string>> = {
  sharedmap:
    'fixed size set at creation; string keys and values only (objects stored as JSON); every get and set also takes a map-wide shared lock; no atomic update (single-thread "update" is get+set)',
  lmdb: 'a memory-mapped B-tree file in a temp dir (noSync, useWritemap), opened by every worker; set is putSync (one write transaction each), update is a write transaction',
  '@bnaya/objectbuffer':
    'one object in a SharedArrayBuffer; its keys are a linked list (lookups are linear), so it is measured at the small key count only; one global lock (acquireLockWait) around every operation across threads; fixed size, no memory reuse',
}

export async function describePeers(): Promise<PeerInfo[]> {
  const loaded = await Promise.all([loadSharedMapPeer(), loadLmdb(), loadObjectBuffer()])
  const names: PeerName[] = ['sharedmap', 'lmdb', '@bnaya/objectbuffer']
  return names.map((name, i) => {
    const available = loaded[i] !== undefined
    return {
      name,
      version: available ? versionOf(name) : null,
      available,
      note: available ? PEER_NOTES[name] : `not installed: skipped (npm i -D ${name} to include it)`,
    }
  })
}

/** The installed version, from the package.json above the resolved entry point. */
export function versionOf(name: string): string | null {
  const require = createRequire(import.meta.url)
  try {
    let dir = dirname(require.resolve(name))
    for (let depth = 0; depth < 4; depth++) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
        if (manifest.name === name) return manifest.version ?? null
      } catch {
        // no package.json at this level: look one directory up
      }
      dir = dirname(dir)
    }
  } catch {
    return null
  }
  return null
}
