/**
 * conmap/test: helpers for tests of code built on conmap. `shake()` and
 * `shakeRuns()` put seeded random delays at the awaits of conmap's own async APIs,
 * so that races across `await` show up in a few runs and replay from their seed.
 * @module test
 */
export { shake, shakeRuns, ShakeFailure, type ShakeOptions, type Shaker, type ShakeDecision, type ShakeSummary, type YieldSite } from './shaker.js'
