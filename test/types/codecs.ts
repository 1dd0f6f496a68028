// The codec decides what a map can store: new SharedMap's value type follows it.
import { SharedMap, type Codec, type CodecFor, type Key, type SharedMapOptions } from 'conmap'
import { assertEqual } from './expect.js'

interface Session {
  readonly user: string
}

// Without type arguments, the typed codecs give their value type.
const strings = new SharedMap({ codec: 'string' })
assertEqual<typeof strings, SharedMap<Key, string>>(true)
const numbers = new SharedMap({ codec: 'number', shards: 4 })
assertEqual<typeof numbers, SharedMap<Key, number>>(true)
const bytes = new SharedMap({ codec: 'bytes' })
assertEqual<typeof bytes, SharedMap<Key, Uint8Array>>(true)
// A key type alone keeps the codec's value type.
const byId = new SharedMap<number>({ codec: 'number' })
assertEqual<typeof byId, SharedMap<number, number>>(true)

// A user codec gives its own type.
declare const sessionCodec: Codec<Session>
const custom = new SharedMap({ codec: sessionCodec })
assertEqual<typeof custom, SharedMap<Key, Session>>(true)

// 'structured' (the default) and 'json' stay generic.
const untyped = new SharedMap()
assertEqual<typeof untyped, SharedMap<Key, unknown>>(true)
const structured = new SharedMap<string, Session>({ codec: 'structured' })
assertEqual<typeof structured, SharedMap<string, Session>>(true)
const json = new SharedMap<string, Session>({ codec: 'json' })
assertEqual<typeof json, SharedMap<string, Session>>(true)
new SharedMap<string, Session>()
new SharedMap<string, Session>({ codec: sessionCodec })
new SharedMap<string, 'on' | 'off'>({ codec: 'string' })
new SharedMap<string, number>({ codec: 'number' })
new SharedMap<string, Uint8Array>({ codec: 'bytes' })

// A codec that cannot store the declared values does not compile.
// @ts-expect-error 'number' stores numbers, not Sessions
new SharedMap<string, Session>({ codec: 'number' })
// @ts-expect-error 'string' stores strings only
new SharedMap<string, string | number>({ codec: 'string' })
// @ts-expect-error 'bytes' reads back plain Uint8Arrays, never Buffers
new SharedMap<string, Buffer>({ codec: 'bytes' })
declare const numberCodec: Codec<number>
// @ts-expect-error a user codec of numbers cannot store Sessions
new SharedMap<string, Session>({ codec: numberCodec })
// @ts-expect-error no such codec
new SharedMap({ codec: 'yaml' })

// A map's values are what its codec stores.
// @ts-expect-error a number map takes no strings
numbers.set('a', 'one')
numbers.set('a', 1)

// Options built apart keep their type, and attach() checks the codec the same way.
const options: SharedMapOptions<Session> = { codec: 'json', maxBytes: 1 << 20 }
new SharedMap<string, Session>(options)
// @ts-expect-error the options' codec must store V
const wrong: SharedMapOptions<Session> = { codec: 'string' }
void wrong
SharedMap.attach(custom.handle, { codec: sessionCodec })
// @ts-expect-error attach's codec must store the handle's values
SharedMap.attach(custom.handle, { codec: numberCodec })

// Generic code names the codec's type as CodecFor<V>, and keeps V.
function makeMap<V>(codec: CodecFor<V>): SharedMap<string, V> {
  return new SharedMap<string, V>({ codec, shards: 2 })
}
assertEqual<ReturnType<typeof makeMap<number>>, SharedMap<string, number>>(true)
makeMap<number>('number')
// @ts-expect-error CodecFor<number> has no 'string'
makeMap<number>('string')
