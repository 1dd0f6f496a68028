/**
 * Yield points: the awaits of conmap's own async APIs where 'conmap/test' may
 * insert a delay, so that tests see schedules that fast, quiet runs never produce.
 *
 * A call site writes
 *   const shaken = yieldPoint('KeyedMutex.lock'); if (shaken !== undefined) await shaken
 * With no shaker installed (production, and every test that does not shake),
 * yieldPoint is a load of one module variable and a comparison: no promise, no
 * extra microtask, and so no change to any schedule. The shaker is per thread
 * (module state): installing it in one thread leaves the other threads as they are.
 */

/**
 * Where a yield point sits (a new site is one more entry here, and one call where it awaits):
 * - `KeyedMutex.lock` / `SharedKeyedMutex.lock`: before the request joins the queue (who comes first);
 * - `KeyedMutex.grant` / `SharedKeyedMutex.grant`: after the keys are granted, before the caller resumes;
 * - `Singleflight.do`: before a caller joins or starts a flight; `Singleflight.result`: before it gets the outcome;
 * - `SharedMap.getOrComputeAsync`: before each look at the key (compute, join, or read the value);
 * - `RedisMap.roundTrip`: before each script a RedisMap sends (its request leaves late, as on a slow network).
 */
export const YIELD_SITES = [
  'KeyedMutex.lock',
  'KeyedMutex.grant',
  'SharedKeyedMutex.lock',
  'SharedKeyedMutex.grant',
  'Singleflight.do',
  'Singleflight.result',
  'SharedMap.getOrComputeAsync',
  'RedisMap.roundTrip',
] as const

/** A yield point's site, one of YIELD_SITES. */
export type YieldSite = (typeof YIELD_SITES)[number]

/** Decides one yield point: a promise to await first, or undefined to go straight on. */
export type YieldHook = (site: YieldSite) => Promise<void> | undefined

let installed: YieldHook | undefined

/** The installed hook's decision for this await; undefined when no hook is installed. */
export function yieldPoint(site: YieldSite): Promise<void> | undefined {
  return installed === undefined ? undefined : installed(site)
}

/** The hook installed now in this thread. */
export function installedYieldHook(): YieldHook | undefined {
  return installed
}

/** Installs hook (undefined: none) in this thread. */
export function setYieldHook(hook: YieldHook | undefined): void {
  installed = hook
}
