export { KeyedMutex, KeyedGuard } from './keyed-mutex.js'
export { Singleflight, type FlightResult, type FlightOptions } from './singleflight.js'
