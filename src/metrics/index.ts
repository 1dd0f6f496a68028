export type { MetricsOptions, MapMetrics, OpMetrics, LockWaitHistogram, HotKey } from './types.js'
export { WAIT_BOUNDS as LOCK_WAIT_BOUNDS } from './layout.js'
export { OP_CHANNEL, LOCK_WAIT_CHANNEL, type MapOpMessage, type LockWaitMessage } from './channels.js'
export { lockWaitSummary, type LockWaitSummary } from './summary.js'
