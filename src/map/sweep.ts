/**
 * Reclaiming expired entries of a cache map: sweep() by hand, and the sweeper.
 *
 * Readers never remove an expired entry (they write nothing) and writers remove
 * those they meet; the rest are removed here, each removal counted in the map's
 * expirations.
 *
 * The sweeper: every thread with the map runs an unref'd interval timer (it never
 * keeps a process alive), but only the elected thread sweeps. Header word 25 names
 * it and word 26 holds its heartbeat (Date.now() of its last tick, low 32 bits). A
 * thread takes the office by compareExchange when it is empty, when its holder is
 * known dead (watch(), threads.ts), or when the heartbeat is older than TAKEOVER_MS
 * (a terminated thread, or one whose event loop is blocked); a holder that finds
 * another thread's id there stops sweeping. Each tick examines at most TICK_SLOTS
 * slots and removes at most TICK_BUDGET entries, holding one shard at a time for at
 * most HOLD_SLOTS slots, from cursors kept in shared memory (header word 27, shard
 * word SWEEP_AT), so a new sweeper goes on where the old one stopped. A shard whose
 * lock is taken is skipped until the next pass: the sweeper never waits.
 *
 * The timer holds the map only weakly: a map nobody references any more is
 * collected, and its timer stops.
 */
import { selfId, ThreadRegistry } from '../sync/threads.js'
import { FULL, H, S } from './layout.js'
import type { MapCore } from './core.js'
import { expiredLocked } from './expiry.js'
import { Removal, slotOfRecordLocked, unpublishLocked } from './remove.js'

const SWEEP_INTERVAL_MS = 500
const TAKEOVER_MS = 4 * SWEEP_INTERVAL_MS
const TICK_SLOTS = 16384
const TICK_BUDGET = 1000
const HOLD_SLOTS = 1024

/** Removes expired entries now, at most budget of them; returns how many. */
export function sweep(core: MapCore, budget: number): number {
  let removed = 0
  const now = Date.now()
  for (let shard = 0; shard < core.shards && removed < budget; shard++) {
    const fields = core.lockShard(shard)
    try {
      const expired: number[] = []
      core.tables.forEachLocked(fields, (_, record) => {
        if (expired.length < budget - removed && expiredLocked(core.arena.u32, record, now)) expired.push(record)
      })
      if (expired.length === 0) continue
      removeAllLocked(core, fields, expired)
      removed += expired.length
    } finally {
      core.unlockShard(shard)
    }
  }
  Atomics.add(core.arena.i32, H.SWEEPS, 1)
  return removed
}

function removeAllLocked(core: MapCore, fields: number, records: readonly number[]): void {
  core.changeLocked(fields, () => {
    for (const record of records) unpublishLocked(core, fields, slotOfRecordLocked(core, fields, record), Removal.expired)
    core.tables.maybeShrinkLocked(fields)
  })
}

/**
 * Examines up to `slots` slots of the shard's current table from its sweep cursor,
 * removing the expired entries among them; returns whether the cursor wrapped.
 */
function sweepSlotsLocked(core: MapCore, fields: number, slots: number, now: number): { examined: number; removed: number; wrapped: boolean } {
  const u32 = core.arena.u32
  const table = u32[fields + S.TABLE] ?? 0
  const cap = u32[fields + S.CAP] ?? 0
  const from = (u32[fields + S.SWEEP_AT] ?? 0) % cap
  const examined = Math.min(slots, cap - from)
  const expired: number[] = []
  for (let i = from; i < from + examined; i++) {
    const slot = (table >>> 2) + 2 * i
    if (((u32[slot] ?? 0) & 3) !== FULL) continue
    const record = u32[slot + 1] ?? 0
    if (expiredLocked(u32, record, now)) expired.push(record)
  }
  if (expired.length !== 0) removeAllLocked(core, fields, expired)
  const next = from + examined
  u32[fields + S.SWEEP_AT] = next >= cap ? 0 : next
  return { examined, removed: expired.length, wrapped: next >= cap }
}

/** One tick of the elected sweeper. */
function tick(core: MapCore): void {
  const i32 = core.arena.i32
  const now = Date.now()
  let examined = 0
  let removed = 0
  for (let visited = 0; visited < core.shards && examined < TICK_SLOTS && removed < TICK_BUDGET; ) {
    const shard = (Atomics.load(i32, H.SWEEP_SHARD) >>> 0) % core.shards
    // Never waits for a shard: a lock held by a thread that died is released by
    // watch()'s exit handler, which cannot run on this thread while it waits.
    const fields = core.tryLockShard(shard)
    let step: ReturnType<typeof sweepSlotsLocked> = { examined: 0, removed: 0, wrapped: true }
    if (fields >= 0) {
      try {
        step = sweepSlotsLocked(core, fields, Math.min(HOLD_SLOTS, TICK_SLOTS - examined), now)
      } finally {
        core.unlockShard(shard)
      }
    }
    examined += step.examined
    removed += step.removed
    if (step.wrapped) {
      Atomics.compareExchange(i32, H.SWEEP_SHARD, shard, (shard + 1) % core.shards)
      visited++
    }
  }
  Atomics.add(i32, H.SWEEPS, 1)
}

/** Whether this thread holds the sweeper's office now (taking it over if it is free). */
function elected(core: MapCore, registry: ThreadRegistry): boolean {
  const i32 = core.arena.i32
  const now = Date.now()
  const owner = Atomics.load(i32, H.SWEEPER)
  if (owner !== selfId) {
    const silent = ((now >>> 0) - (Atomics.load(i32, H.SWEEPER_BEAT) >>> 0)) >>> 0
    const vacant = owner === 0 || silent > TAKEOVER_MS || !registry.isAlive(owner)
    if (!vacant) return false
    registry.enter()
    // The heartbeat first, so that nobody finds the new holder silent.
    Atomics.store(i32, H.SWEEPER_BEAT, now | 0)
    return Atomics.compareExchange(i32, H.SWEEPER, owner, selfId) === owner
  }
  Atomics.store(i32, H.SWEEPER_BEAT, now | 0)
  return true
}

/** The threadId of the thread whose owner id holds the office (owner ids are threadId + 1). */
export function sweeperOf(owner: number): number | undefined {
  return owner === 0 ? undefined : owner - 1
}

/** Starts this thread's sweeper timer for a cache map (it holds the map weakly). */
export function startSweeper(core: MapCore): void {
  const ref = new WeakRef(core)
  const registry = ThreadRegistry.of(core.handle.registry)
  const timer = setInterval(() => {
    const map = ref.deref()
    if (map === undefined) {
      clearInterval(timer)
      return
    }
    if (elected(map, registry)) tick(map)
  }, SWEEP_INTERVAL_MS)
  timer.unref()
}
