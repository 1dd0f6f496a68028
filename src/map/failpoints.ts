/**
 * Crash points for tests: named places in the map's write and read protocols where
 * a test can freeze a thread, to kill it there (worker.terminate()) or to let other
 * threads run before it goes on. Each publication step of set / delete / clear /
 * resize / free-list reuse has one, so that a test can enumerate a kill at every
 * step rather than hoping a random kill lands there.
 *
 * Disarmed (always, outside tests) a point costs one load of a module variable.
 * Armed, the thread that reaches the point for the `skip + 1`-th time stores
 * REACHED in the gate's word 0, notifies, and blocks in Atomics.wait until the word
 * becomes RELEASED (or the thread is terminated). The gate is a SharedArrayBuffer,
 * so the test thread can wait for REACHED without a message round trip.
 *
 * Not part of the public API: tests import it from dist/src/map/failpoints.js, and
 * storm workers use stallAt() for --stall-reads.
 */

export const FAILPOINTS = [
  // set / swap / loadOrStore / update: a new record is complete, not yet reachable
  'put:record-written',
  // a new key's meta is published, the shard count not yet updated
  'put:inserted',
  // an existing key's old record is marked DEAD, its slot still naming it
  'put:retired',
  // an existing key's slot names its new record, the old record not yet freed
  'put:replaced',
  // a removed key's record is marked DEAD, not yet tombstoned
  'remove:retired',
  // a removal's tombstone is published, the record not yet freed
  'remove:tombstoned',
  // a freed block is linked into its free list (head not yet moved)
  'free:linked',
  // a free-list block is unlinked for reuse, before anything is written into it
  'alloc:reused',
  // a resize's new table is allocated and zeroed, the shard not yet pointing at it
  'resize:allocated',
  // OLD is set, the new table not yet current
  'resize:old-set',
  // an evacuation step moved one entry (new slot written, old not yet a tombstone)
  'evacuate:placed',
  // the last old slot is moved and OLD cleared, the old table not yet freed
  'evacuate:old-cleared',
  // a tombstone purge (a full map's table) wrote an entry into a hole, its old slot not yet a tombstone
  'purge:copied',
  // clear(): the shard is marked as clearing, nothing emptied yet
  'clear:marked',
  // clear(): the old table is detached, the current one not yet emptied
  'clear:old-detached',
  // clear(): part of the current table is emptied
  'clear:emptying',
  // clear(): the table is empty, its records not yet freed
  'clear:emptied',
  // a read began (optimistic: loaded the seq; else: took its lock) and synced its views
  'read:begun',
  // a thread that took a lock over from a dead holder is about to repair what it guards
  'repair:begun',
] as const
export type Failpoint = (typeof FAILPOINTS)[number]

export const GateState = { WAITING: 0, REACHED: 1, RELEASED: 2 } as const

interface Armed {
  readonly name: Failpoint
  readonly gate: Int32Array
  skip: number
}

interface Stall {
  readonly name: Failpoint
  readonly micros: number
  readonly every: number
  hits: number
}

let armed: Armed | undefined
let stall: Stall | undefined

/** Marks a crash point; a no-op unless a test armed this name (or a stall) on this thread. */
export function failpoint(name: Failpoint): void {
  if (armed !== undefined && armed.name === name) reach(armed)
  else if (stall !== undefined && stall.name === name) dawdle(stall)
}

function dawdle(point: Stall): void {
  if (++point.hits % point.every !== 0) return
  const until = performance.now() + point.micros / 1000
  while (performance.now() < until);
}

/**
 * Widens a race window: every `every`-th time this thread reaches `name`, it spins
 * for `micros` µs (as an OS preemption would hold it there). `conmap storm
 * --stall-reads` uses it, so that a storm meets interleavings that plain
 * scheduling reaches once in tens of millions of operations.
 */
export function stallAt(name: Failpoint, micros: number, every: number): void {
  if (!FAILPOINTS.includes(name)) throw new RangeError(`unknown failpoint '${String(name)}'`)
  stall = micros > 0 ? { name, micros, every: Math.max(1, Math.floor(every)), hits: 0 } : undefined
}

function reach(point: Armed): void {
  if (point.skip-- > 0) return
  armed = undefined
  Atomics.store(point.gate, 0, GateState.REACHED)
  Atomics.notify(point.gate, 0)
  while (Atomics.load(point.gate, 0) !== GateState.RELEASED) Atomics.wait(point.gate, 0, GateState.REACHED)
}

/**
 * Arms `name` on this thread: the `skip + 1`-th time it is reached the thread parks
 * on `gate` (word 0: see GateState). One point at a time per thread.
 */
export function armFailpoint(name: Failpoint, gate: SharedArrayBuffer, skip = 0): void {
  if (!FAILPOINTS.includes(name)) throw new RangeError(`unknown failpoint '${String(name)}'`)
  armed = { name, gate: new Int32Array(gate, 0, 1), skip }
}

/** Whether an armed point has not been reached yet on this thread. */
export function failpointPending(): boolean {
  return armed !== undefined
}
