/**
 * Deep freezing of decoded values, so that one decoded object can be handed to
 * every reader of a thread (read-cache.ts) without one reader's change reaching
 * another. Only values that Object.freeze makes immutable qualify: primitives, and
 * plain objects (prototype Object.prototype or null) and arrays whose elements and
 * own enumerable properties qualify. A Map, a Set, a Date, a typed array or a class
 * instance keeps state that freezing does not reach, so a value holding one does
 * not qualify.
 *
 * Only for what the built-in codecs decode (msgpackr and JSON build plain data: own
 * enumerable data properties, no accessors, no symbols), which is why enumerable
 * keys are enough. Objects are frozen on the way down, so a cycle ends at an object
 * already frozen; a value that does not qualify is left partly frozen, and the
 * caller must not hand it out (it decodes a fresh copy instead).
 */

/** Freezes value deeply and returns true, or returns false: then value is partly frozen and must be dropped. */
export function freezeDeep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function'
  if (Object.isFrozen(value)) return true
  const proto: unknown = Object.getPrototypeOf(value)
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false
    Object.freeze(value)
    for (let i = 0; i < value.length; i++) if (!freezeDeep(value[i])) return false
    return true
  }
  if (proto !== Object.prototype && proto !== null) return false
  Object.freeze(value)
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) if (!freezeDeep(record[key])) return false
  return true
}
