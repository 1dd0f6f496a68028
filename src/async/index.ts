export { KeyedMutex, KeyedGuard } from './keyed-mutex.js'
export { Singleflight, type FlightResult, type FlightOptions } from './singleflight.js'
export { detectLostUpdates, type LostUpdateTarget, type LostUpdateReport, type LostUpdateOptions, type LostUpdateDetector } from './lost-updates.js'
export { SharedKeyedMutex, type SharedKeyedMutexHandle, type SharedKeyedMutexOptions } from './shared-keyed-mutex.js'
