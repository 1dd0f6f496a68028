// Handles carry types: what attach() gives, and what it refuses to attach.
import { Mutex, Once, RWMutex, Semaphore, SharedMap, WaitGroup, type Key, type SharedMapHandle } from 'conmap'
import { assertEqual, expectType } from './expect.js'

interface Session {
  readonly user: string
  readonly expires: number
}

const sessions = new SharedMap<string, Session>()
expectType<SharedMapHandle<string, Session>>(sessions.handle)

// A typed handle gives a typed map without naming the types again.
const attached = SharedMap.attach(sessions.handle)
assertEqual<typeof attached, SharedMap<string, Session>>(true)
assertEqual<ReturnType<typeof attached.get>, Session | undefined>(true)

// ...and refuses to be attached as a map of unrelated types.
// @ts-expect-error a handle of string -> Session is no handle of number -> Date
SharedMap.attach<number, Date>(sessions.handle)
// @ts-expect-error the key type differs
SharedMap.attach<number, Session>(sessions.handle)
// @ts-expect-error the value type differs
SharedMap.attach<string, Date>(sessions.handle)

// A handle received untyped attaches as the types the receiver names.
declare const untyped: SharedMapHandle
const named = SharedMap.attach<string, Session>(untyped)
assertEqual<typeof named, SharedMap<string, Session>>(true)
// A typed handle passes where an untyped one is expected (storing it, sending it).
const stored: SharedMapHandle = sessions.handle
const asKey: SharedMapHandle<Key, Session> = sessions.handle
void stored
void asKey

// The map itself, or its structured clone ({ handle }), attaches too.
const fromMap = SharedMap.attach(sessions)
assertEqual<typeof fromMap, SharedMap<string, Session>>(true)
const fromClone = SharedMap.attach({ handle: sessions.handle })
assertEqual<typeof fromClone, SharedMap<string, Session>>(true)
// @ts-expect-error a structured-cloned map of other types is refused the same way
SharedMap.attach<number, Date>({ handle: sessions.handle })

// Primitives' handles are typed by kind: one cannot pass for another.
const mutex = new Mutex()
const rw = new RWMutex()
expectType<Mutex>(Mutex.attach(mutex.handle))
expectType<Mutex>(Mutex.attach(mutex))
expectType<RWMutex>(RWMutex.attach(rw.handle))
expectType<WaitGroup>(WaitGroup.attach(new WaitGroup().handle))
expectType<Once>(Once.attach(new Once().handle))
expectType<Semaphore>(Semaphore.attach(new Semaphore(2).handle))
// @ts-expect-error a RWMutex handle is no Mutex handle
Mutex.attach(rw.handle)
// @ts-expect-error a Mutex handle is no Semaphore handle
Semaphore.attach(mutex.handle)
// @ts-expect-error a SharedMap handle is no Once handle
Once.attach(sessions.handle)
// @ts-expect-error a Mutex handle is no SharedMap handle
SharedMap.attach(mutex.handle)

// instanceof still narrows: the constructor's prototype is a SharedMap.
declare const received: unknown
if (received instanceof SharedMap) assertEqual<typeof received, SharedMap<any, any>>(true)
