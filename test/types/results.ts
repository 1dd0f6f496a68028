// Results say what they hold, options take what a user's config has, and a
// SharedMap is a ReadonlyMap.
import { Mutex, RWMutex, Semaphore, SharedMap, WaitGroup, Once, type LoadResult, type SwapResult } from 'conmap'
import { assertEqual } from './expect.js'

interface Session {
  readonly user: string
}

declare function use(session: Session): void

const map = new SharedMap<string, Session>({ ttl: 60_000 })

// loadOrStore always holds a value.
const stored = map.loadOrStore('a', { user: 'ada' })
assertEqual<typeof stored.value, Session>(true)
assertEqual<typeof stored.loaded, boolean>(true)

// loadAndDelete and swap narrow on `loaded`.
const taken = map.loadAndDelete('a')
if (taken.loaded) use(taken.value)
else assertEqual<typeof taken.value, undefined>(true)
// @ts-expect-error value may be undefined until `loaded` is checked
use(taken.value)
const swapped = map.swap('a', { user: 'bob' })
if (swapped.loaded) use(swapped.previous)
// @ts-expect-error previous may be undefined until `loaded` is checked
use(swapped.previous)
assertEqual<LoadResult<number>, { readonly loaded: true; readonly value: number } | { readonly loaded: false; readonly value: undefined }>(true)
assertEqual<SwapResult<number>, { readonly loaded: true; readonly previous: number } | { readonly loaded: false; readonly previous: undefined }>(true)

// Options straight from a config whose fields may be undefined (exactOptionalPropertyTypes).
declare const cfg: { timeout: number | undefined; signal: AbortSignal | undefined; ttl: number | undefined; shards: number | undefined; budget: number | undefined }
new SharedMap<string, Session>({ shards: cfg.shards, ttl: cfg.ttl, maxEntries: undefined, codec: undefined, eviction: undefined })
SharedMap.attach(map.handle, { readCache: undefined, sweeper: undefined, codec: undefined })
map.set('a', { user: 'ada' }, { ttl: cfg.ttl })
map.loadOrStore('a', { user: 'ada' }, { ttl: cfg.ttl })
map.update('a', (s) => s, { ttl: cfg.ttl })
map.getOrCompute('a', () => ({ user: 'ada' }), { ttl: cfg.ttl })
void map.getOrComputeAsync('a', async () => ({ user: 'ada' }), { timeout: cfg.timeout, signal: cfg.signal, ttl: cfg.ttl })
map.sweep({ budget: cfg.budget })
const mutex = new Mutex()
mutex.lock({ timeout: cfg.timeout })
void mutex.lockAsync({ timeout: cfg.timeout, signal: cfg.signal })
const rw = new RWMutex({ readerSlots: undefined })
rw.rlock({ timeout: cfg.timeout })
new Semaphore(2, { holderSlots: undefined, queueSize: undefined }).acquire(1, { timeout: cfg.timeout })
new WaitGroup({ ownerSlots: undefined }).wait({ timeout: cfg.timeout })
new Once().do(() => undefined, { timeout: cfg.timeout })

// A SharedMap is a ReadonlyMap, and iterates as Map does.
const readonly: ReadonlyMap<string, Session> = map
void readonly
function count(m: ReadonlyMap<string, unknown>): number {
  return m.size
}
count(map)
for (const [key, session] of map) assertEqual<[typeof key, typeof session], [string, Session]>(true)
assertEqual<ReturnType<typeof map.keys>, MapIterator<string>>(true)
const copy: Map<string, Session> = map.snapshot()
void copy

// RWMutex has the async run forms Mutex has.
async function runs(): Promise<void> {
  const n: number = await rw.runReadAsync(async () => 1, { timeout: cfg.timeout })
  const s: string = await rw.runExclusiveAsync(() => 'x', { signal: cfg.signal })
  const m: number = await mutex.runExclusiveAsync(async () => n)
  void s
  void m
  // @ts-expect-error runReadAsync resolves to what fn returns
  const wrong: string = await rw.runReadAsync(async () => 1)
  void wrong
}
void runs
