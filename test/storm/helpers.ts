/**
 * Storm test support: short storms with assertions that print the whole report
 * when they fail, so a failing CI run says what the storm saw.
 */
import assert from 'node:assert/strict'
import { formatStormReport, runStorm, type RunStormHooks, type StormInput, type StormReport } from '../../src/storm/index.js'

export const lossyWorker = new URL('./fixtures/lossy-worker.js', import.meta.url)
export const stuckWorker = new URL('./fixtures/stuck-worker.js', import.meta.url)
export const staleCacheWorker = new URL('./fixtures/stale-cache-worker.js', import.meta.url)
export const versionlessWorker = new URL('./fixtures/versionless-worker.js', import.meta.url)
export const refusingWorker = new URL('./fixtures/refusing-worker.js', import.meta.url)

/** A storm sized for the test suite: a couple of seconds, a bounded history. */
export async function storm(input: StormInput, hooks: RunStormHooks = {}): Promise<StormReport> {
  return runStorm({ duration: 2, workers: 3, keys: 256, checkLimit: 150_000, seed: 20240601, ...input }, hooks)
}

export function expectReport(report: StormReport, condition: boolean, what: string): void {
  assert.ok(condition, `${what}\n${formatStormReport(report)}`)
}
