// guard() gives the map's own API back with the same types, sync staying sync, and
// types its breaker and audit log by the options given.
import { AuditLog, CircuitBreaker, SharedMap, attachShared, guard, share, type AuditEntry, type AuditLogHandle, type BreakerState, type CircuitBreakerHandle, type Guarded, type LoadResult, type Shared } from 'conmap'
import { assertEqual, expectType } from './expect.js'

interface Session {
  readonly user: string
}

const map = new SharedMap<string, Session>({ ttl: Infinity })
const sessions = guard(map, { name: 'sessions', timeout: 50, breaker: { failures: 5, slowCall: 10 }, audit: { entries: 4096, keys: 'hash' }, isFailure: (err) => err instanceof RangeError })

// The map's methods, with their types: sync results stay sync.
assertEqual<ReturnType<typeof sessions.get>, Session | undefined>(true)
assertEqual<ReturnType<typeof sessions.loadAndDelete>, LoadResult<Session>>(true)
expectType<number>(sessions.size)
expectType<Promise<Session>>(sessions.getOrComputeAsync('s1', async () => ({ user: 'ada' })))
expectType<SharedMap<string, Session>>(sessions)
// @ts-expect-error the value type is kept
sessions.set('s1', { name: 'ada' })
// @ts-expect-error the key type is kept
sessions.get(1)

// Its parts, typed by the options.
expectType<CircuitBreaker>(sessions.breaker)
expectType<AuditLog>(sessions.auditLog)
expectType<BreakerState>(sessions.breaker.state)
expectType<AuditEntry[]>(sessions.audit())
const bare = guard(map)
assertEqual<typeof bare.breaker, undefined>(true)
assertEqual<typeof bare.auditLog, undefined>(true)
declare const maybe: CircuitBreaker | undefined
assertEqual<ReturnType<typeof guard<typeof map, { breaker: CircuitBreaker | undefined }>>['breaker'], CircuitBreaker | undefined>(true)
expectType<CircuitBreaker | undefined>(guard(map, { breaker: maybe }).breaker)
// A guarded object is still what share() takes.
share({ sessions })

// Any map with the contract's methods: an async one stays async.
interface RemoteMap {
  get(key: string): Promise<number | undefined>
  set(key: string, value: number): Promise<void>
}
declare const remote: RemoteMap
const guardedRemote = guard(remote, { breaker: new CircuitBreaker() })
assertEqual<ReturnType<typeof guardedRemote.get>, Promise<number | undefined>>(true)
expectType<Guarded<RemoteMap>>(guardedRemote)

// @ts-expect-error unknown options are refused
guard(map, { timeOut: 50 })
// @ts-expect-error keys is 'hash', 'plain' or a function
guard(map, { audit: { keys: 'raw' } })
// @ts-expect-error a map is an object
guard('map')

// share() carries a breaker and an audit log to workers, typed.
const record = share({ breaker: sessions.breaker, log: sessions.auditLog })
expectType<CircuitBreakerHandle>(record.handles.breaker)
expectType<AuditLogHandle>(record.handles.log)
const attached = attachShared(record as Shared<{ breaker: CircuitBreaker; log: AuditLog }>)
expectType<CircuitBreaker>(attached.breaker)
expectType<AuditLog>(attached.log)
