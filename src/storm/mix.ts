/**
 * The operation mix: relative weights of the storm's operations, written on the
 * command line as `get:70,set:10,delete:5`. Weights are relative (they need not sum
 * to 100); an operation left out has weight 0.
 */
import { MAP_OPS, type MapOp } from '../check/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'

/** Every atomic per-key operation of SharedMap; the order fixes the operation codes. */
export const STORM_OPS = MAP_OPS
export type StormOp = MapOp

export type Mix = Readonly<Record<StormOp, number>>

export const DEFAULT_MIX = 'get:70,set:10,delete:5,update:5,loadOrStore:5,compareAndSwap:5'

const known: ReadonlySet<string> = new Set(STORM_OPS)

/** Reads a mix from its text form or from an object of weights. */
export function parseMix(input: string | Readonly<Partial<Record<string, number | string>>>, label = 'mix'): Mix {
  const entries: Array<[string, unknown]> = []
  if (typeof input === 'string') {
    for (const part of input.split(',')) {
      const item = part.trim()
      if (item === '') continue
      const colon = item.indexOf(':')
      if (colon < 0) throw invalid(`${label}: expected op:weight, got '${item}'`)
      entries.push([item.slice(0, colon).trim(), item.slice(colon + 1).trim()])
    }
  } else if (typeof input === 'object' && input !== null) {
    entries.push(...Object.entries(input))
  } else {
    throw invalid(`${label} must be a string like '${DEFAULT_MIX}' or an object of weights`)
  }
  const mix = Object.fromEntries(STORM_OPS.map((op) => [op, 0])) as Record<StormOp, number>
  const seen = new Set<string>()
  for (const [op, raw] of entries) {
    if (!known.has(op)) throw invalid(`${label}: unknown operation '${op}', expected one of ${STORM_OPS.join(', ')}`)
    if (seen.has(op)) throw invalid(`${label}: '${op}' is given twice`)
    seen.add(op)
    const weight = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw invalid(`${label}: the weight of '${op}' must be a non-negative number, got '${String(raw)}'`)
    }
    mix[op as StormOp] = weight
  }
  if (STORM_OPS.every((op) => mix[op] === 0)) throw invalid(`${label}: at least one operation needs a positive weight`)
  return mix
}

/** The text form, positive weights only, in STORM_OPS order. */
export function formatMix(mix: Mix): string {
  return STORM_OPS.filter((op) => mix[op] > 0)
    .map((op) => `${op}:${mix[op]}`)
    .join(',')
}

function invalid(message: string) {
  return conmapError(ErrorCode.INVALID_ARGUMENT, message)
}
