export { KeyedMutex, KeyedGuard } from './keyed-mutex.js'
