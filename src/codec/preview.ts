/**
 * Short descriptions of arbitrary values for error messages: the type, and for primitives a
 * bounded preview ("string 'user:12…'", "object of class Socket", "function onData").
 *
 * It never converts a value through user code (no String(value), toString, toJSON or
 * Symbol.toPrimitive), so describing a hostile or huge value in an error path cannot throw,
 * loop or print megabytes.
 */
const MAX_PREVIEW = 40

export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(truncate(value))}`
    case 'number':
      return `number ${Object.is(value, -0) ? '-0' : String(value)}`
    case 'bigint':
      return `bigint ${truncate(value.toString())}n`
    case 'boolean':
      return `boolean ${String(value)}`
    case 'undefined':
      return 'undefined'
    case 'symbol':
      return `symbol Symbol(${truncate(value.description ?? '')})`
    case 'function':
      return `function ${truncate(value.name) || '(anonymous)'}`
    default:
      return value === null ? 'null' : describeObject(value as object)
  }
}

function describeObject(value: object): string {
  if (Array.isArray(value)) return `array of length ${value.length}`
  try {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === null) return 'object with a null prototype'
    const ctor: unknown = (proto as { constructor?: unknown }).constructor
    const name = typeof ctor === 'function' ? ctor.name : ''
    return name === 'Object' ? 'plain object' : `object of class ${truncate(name) || '(anonymous)'}`
  } catch {
    // A revoked Proxy throws on every trap; it is still an object.
    return 'object'
  }
}

function truncate(text: string): string {
  return text.length <= MAX_PREVIEW ? text : `${text.slice(0, MAX_PREVIEW)}…`
}
