// isConmapError(err, code) narrows err to the code's class and err.code to the code;
// an unknown code does not compile.
import { isConmapError, reviveError, type ConmapError, type LockError, type MapFullError } from 'conmap'
import { assertEqual } from './expect.js'

declare const caught: unknown

if (isConmapError(caught, 'ERR_MAP_FULL')) {
  const full: MapFullError = caught
  assertEqual<typeof caught.code, 'ERR_MAP_FULL'>(true)
  // @ts-expect-error the code is ERR_MAP_FULL, not another
  const other: 'ERR_LOCK_TIMEOUT' = caught.code
  void full
  void other
}
if (isConmapError(caught, 'ERR_LOCK_TIMEOUT')) {
  const lock: LockError = caught
  void lock
}
if (isConmapError(caught)) {
  const any: ConmapError = caught
  void any
}
// @ts-expect-error not a conmap error code
isConmapError(caught, 'ERR_NOPE')

// reviveError takes a cloned Error as well as a serialized record.
const revived: Error = reviveError(new Error('x'))
void revived
