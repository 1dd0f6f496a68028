/**
 * Deep freezing of decoded values, so that one decoded object can be handed to
 * every reader of a thread (read-cache.ts) without one reader's change reaching
 * another. Only values that Object.freeze makes immutable qualify: primitives, and
 * plain objects (prototype Object.prototype or null) and arrays whose own property
 * values all qualify. A Map, a Set, a Date, a typed array or a class instance keeps
 * state that freezing does not reach, so a value holding one does not qualify.
 */

/** Freezes value deeply and returns true, or returns false (and freezes nothing) if it does not qualify. */
export function freezeDeep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function'
  const seen = new Set<object>()
  if (!qualifies(value, seen)) return false
  for (const object of seen) Object.freeze(object)
  return true
}

function qualifies(value: object, seen: Set<object>): boolean {
  if (seen.has(value)) return true
  const proto: unknown = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false
  if (Array.isArray(value) && proto !== Array.prototype) return false
  seen.add(value)
  for (const name of Reflect.ownKeys(value)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(value, name)
    if (descriptor === undefined || descriptor.get !== undefined || descriptor.set !== undefined) return false
    const inner: unknown = descriptor.value
    if (typeof inner === 'function') return false
    if (typeof inner === 'object' && inner !== null && !qualifies(inner, seen)) return false
  }
  return true
}
