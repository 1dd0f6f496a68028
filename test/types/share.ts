// share() keeps each object's types in its record, and attachShared() gives them back.
import {
  Mutex,
  Semaphore,
  SharedMap,
  WaitGroup,
  attachShared,
  share,
  type Attached,
  type AttachSharedOptions,
  type HandleOf,
  type MutexHandle,
  type Shared,
  type SharedMapHandle,
} from 'conmap'
import { assertEqual, expectType } from './expect.js'

interface User {
  readonly name: string
}

const users = new SharedMap<string, User>()
const counts = new SharedMap<string, number>()
const mutex = new Mutex()
const conmap = share({ users, counts, mutex, permits: new Semaphore(4), done: new WaitGroup() })

// The record holds typed handles under the same keys.
assertEqual<HandleOf<typeof users>, SharedMapHandle<string, User>>(true)
expectType<SharedMapHandle<string, User>>(conmap.handles.users)
expectType<MutexHandle>(conmap.handles.mutex)
const asShared: Shared<{ users: SharedMap<string, User> }> = share({ users })
void asShared

// attachShared gives the objects back, typed as they were made.
const attached = attachShared(conmap)
assertEqual<typeof attached.users, SharedMap<string, User>>(true)
assertEqual<typeof attached.counts, SharedMap<string, number>>(true)
assertEqual<typeof attached.mutex, Mutex>(true)
assertEqual<typeof attached.permits, Semaphore>(true)
assertEqual<typeof attached.done, WaitGroup>(true)
assertEqual<typeof attached, Attached<typeof conmap>>(true)
const name: string | undefined = attached.users.get('u1')?.name
void name
// @ts-expect-error counts holds numbers, not strings
const text: string | undefined = attached.counts.get('a')
void text
// @ts-expect-error the record has no such key
void attached.sessions
// @ts-expect-error a Mutex is no map
attached.mutex.get('a')

// A worker receives workerData untyped: naming the record's type types everything.
declare const workerData: { conmap: unknown }
const { users: received } = attachShared(workerData.conmap as Shared<{ users: SharedMap<string, User> }>)
assertEqual<typeof received, SharedMap<string, User>>(true)

// Options go per map, typed by its values; primitives take none.
attachShared(conmap, { users: { lockTimeout: 2_000, readCache: 0 }, counts: { codec: 'number', sweeper: false } })
assertEqual<keyof AttachSharedOptions<typeof conmap>, 'users' | 'counts'>(true)
// @ts-expect-error a Mutex takes no attach options
attachShared(conmap, { mutex: { lockTimeout: 5 } })
// @ts-expect-error the 'string' codec cannot store the numbers of counts
attachShared(conmap, { counts: { codec: 'string' } })
// @ts-expect-error no key of the record
attachShared(conmap, { sessions: {} })

// share() takes conmap objects only.
// @ts-expect-error a handle is not a conmap object: share the object itself
share({ users: users.handle })
// @ts-expect-error nor is a plain value
share({ limit: 10 })
// @ts-expect-error attachShared takes a share() record, not a handle
attachShared(users.handle)
