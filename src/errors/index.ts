export { ErrorCode, isErrorCode } from './codes.js'
export { ConmapError, ConcurrentMapError, LockError, InvalidArgumentError, MapFullError, ComputeError, BreakerOpenError, IndeterminateError, UnavailableError, conmapError, isConmapError, type ConmapErrorOf } from './errors.js'
export { serializeError, reviveError, isSerializedError, type SerializedError } from './transfer.js'
