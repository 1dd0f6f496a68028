/**
 * The shared structures the worker benchmarks run against, prepared once in the main
 * thread and loaded with every key (so gets always hit), then reused by every window
 * of a section. At the end of a section each one is checked: every key still there
 * and readable, sizes right, SharedMap invariants intact, and for the update
 * benchmark the counters sum to the updates the workers reported.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SharedMap } from '../index.js'
import { adapterOverMap, objectbufferBytes, openAdapter, sharedmapCapacity, sharedmapValueChars, SHAREDMAP_KEY_CHARS, type Adapter, type TargetSpec } from './adapters.js'
import { isStrategy, valuePool, workerKeys } from './contenders.js'
import { loadObjectBuffer, loadSharedMapPeer } from './peers.js'
import { PostMessageServer } from './postmessage-server.js'
import type { ContenderId, ValueKind } from './result.js'

export interface FixtureKey {
  readonly contender: ContenderId
  readonly values: ValueKind
  readonly keys: number
  /** Numbers starting at 0, for the update benchmark; the values' pool otherwise. */
  readonly counters: boolean
  readonly shards?: number
}

export interface Fixture {
  /** What workers open; a server for the postMessage baseline. */
  readonly target: TargetSpec | PostMessageServer
  /** Updates the workers reported applying, warm-ups included. */
  updates: number
}

interface Held extends Fixture {
  readonly key: FixtureKey
  readonly adapter: Adapter
  readonly dispose: () => void
  readonly invariants?: () => void
}

export class Fixtures {
  readonly #held = new Map<string, Held>()

  async get(key: FixtureKey): Promise<Fixture> {
    const id = fixtureId(key)
    let held = this.#held.get(id)
    if (held === undefined) {
      held = await prepare(key)
      this.#held.set(id, held)
    }
    return held
  }

  /** Checks every fixture; returns the failures, by fixture id. Then frees them all. */
  async verifyAndClose(): Promise<Map<string, string>> {
    const failures = new Map<string, string>()
    for (const [id, held] of this.#held) {
      try {
        verify(held)
      } catch (err) {
        failures.set(id, err instanceof Error ? err.message : String(err))
      }
      await held.adapter.close()
      held.dispose()
    }
    this.#held.clear()
    return failures
  }
}

export function fixtureId(key: FixtureKey): string {
  return `${key.contender}/${key.values}/${key.keys}/${key.counters}/${key.shards ?? ''}`
}

async function prepare(key: FixtureKey): Promise<Held> {
  const keys = workerKeys(key.keys)
  const pool = valuePool(key.values)
  const valueOf = (i: number): unknown => (key.counters ? 0 : pool[i & 63])
  const base = { key, updates: 0, dispose: () => undefined }
  const { contender } = key
  if (isStrategy(contender)) {
    const map = new SharedMap<string, unknown>({ concurrency: contender, initialCapacity: key.keys, ...(key.shards === undefined ? {} : { shards: key.shards }) })
    for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, valueOf(i))
    const target: TargetSpec = { kind: 'shared', concurrency: contender, handle: map.handle }
    return { ...base, target, adapter: await openAdapter(target, key.values), invariants: () => map.checkInvariants() }
  }
  if (contender === 'postmessage') {
    const server = new PostMessageServer(new Map(keys.map((k, i) => [k, valueOf(i)])))
    return { ...base, target: server, adapter: adapterOverMap(server.map), dispose: () => server.disconnect() }
  }
  if (contender === 'sharedmap') {
    const Peer = await loadSharedMapPeer()
    if (Peer === undefined) throw new Error('sharedmap is not installed')
    const capacity = sharedmapCapacity(key.keys)
    const instance = new Peer(capacity, SHAREDMAP_KEY_CHARS, sharedmapValueChars(key.values))
    const target: TargetSpec = { kind: 'sharedmap', instance, capacity }
    const adapter = await openAdapter(target, key.values)
    for (let i = 0; i < keys.length; i++) adapter.set(keys[i] as string, valueOf(i))
    return { ...base, target, adapter }
  }
  if (contender === 'lmdb') {
    const path = mkdtempSync(join(tmpdir(), 'conmap-bench-lmdb-'))
    const target: TargetSpec = { kind: 'lmdb', path }
    const adapter = await openAdapter(target, key.values)
    for (let start = 0; start < keys.length; start += 10_000) {
      adapter.batch(() => {
        for (let i = start; i < Math.min(keys.length, start + 10_000); i++) adapter.set(keys[i] as string, valueOf(i))
      })
    }
    return { ...base, target, adapter, dispose: () => rmSync(path, { recursive: true, force: true }) }
  }
  if (contender === 'objectbuffer') {
    const module = await loadObjectBuffer()
    if (module === undefined) throw new Error('@bnaya/objectbuffer is not installed')
    const codecs = { textEncoder: new TextEncoder(), textDecoder: new TextDecoder() }
    const initial = Object.fromEntries(keys.map((k, i) => [k, valueOf(i)]))
    const root = module.createObjectBuffer(codecs, objectbufferBytes(key.keys), initial, { useSharedArrayBuffer: true })
    const target: TargetSpec = { kind: 'objectbuffer', buffer: module.getUnderlyingArrayBuffer(root), bytes: 0 }
    return { ...base, target, adapter: await openAdapter(target, key.values) }
  }
  throw new Error(`no shared fixture for '${contender}': it runs on one thread`)
}

function verify(held: Held): void {
  const { adapter, key } = held
  const keys = workerKeys(key.keys)
  const size = adapter.size()
  if (size !== key.keys) throw new Error(`holds ${size} keys, expected ${key.keys}`)
  let missing = 0
  let sum = 0
  for (const k of keys) {
    const value = adapter.get(k)
    if (value === undefined) missing++
    else if (key.counters) sum += value as number
  }
  if (missing > 0) throw new Error(`${missing} of ${key.keys} keys cannot be read back`)
  if (key.counters && sum !== held.updates) throw new Error(`counters sum to ${sum}, but workers applied ${held.updates} updates (lost updates)`)
  held.invariants?.()
}
