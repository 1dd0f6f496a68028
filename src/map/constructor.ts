/**
 * SharedMap as users construct it: construct signatures typed by the codec, so that
 * `new SharedMap({ codec: 'number' })` is a `SharedMap<Key, number>` and
 * `new SharedMap<string, Session>({ codec: 'number' })` does not compile. A class
 * cannot give its constructor overloads of their own return types, so the class
 * (shared-map.ts) is exported under this interface; the type SharedMap is the
 * class's instance type, so hovers and errors still say SharedMap<K, V>.
 */
import type { Codec, Key } from '../codec/index.js'
import { SharedMap as SharedMapClass } from './shared-map.js'
import type { SharedMapOptions } from './types.js'

export type SharedMap<K extends Key = Key, V = unknown> = SharedMapClass<K, V>

/**
 * The constructor of SharedMap. Without type arguments the value type follows the
 * codec: 'string' gives string values, 'number' number, 'bytes' Uint8Array, a user
 * codec its own type; 'structured' (the default) and 'json' store any V you name.
 * With type arguments the codec must be able to store V (CodecFor).
 *
 * @throws ConmapError ERR_INVALID_ARGUMENT for an option out of its range (see
 *   SharedMapOptions); nothing is allocated then
 * @example
 * ```ts
 * const sessions = new SharedMap<string, Session>()           // 'structured'
 * const counts = new SharedMap({ codec: 'number' })            // SharedMap<Key, number>
 * const cache = new SharedMap<string, Page>({ ttl: 60_000, maxEntries: 10_000 })
 * ```
 */
export interface SharedMapConstructor extends Omit<typeof SharedMapClass, 'prototype'> {
  new <K extends Key = Key>(options: SharedMapOptions<string> & { readonly codec: 'string' }): SharedMap<K, string>
  new <K extends Key = Key>(options: SharedMapOptions<number> & { readonly codec: 'number' }): SharedMap<K, number>
  new <K extends Key = Key>(options: SharedMapOptions<Uint8Array> & { readonly codec: 'bytes' }): SharedMap<K, Uint8Array>
  new <K extends Key = Key, V = unknown>(options: SharedMapOptions<V> & { readonly codec: Codec<V> }): SharedMap<K, V>
  new <K extends Key = Key, V = unknown>(options?: SharedMapOptions<V>): SharedMap<K, V>
  readonly prototype: SharedMap<any, any>
}

export const SharedMap: SharedMapConstructor = SharedMapClass
