/**
 * A readable timeline of a history, for counter-examples in CLI output and test
 * failures. One line per operation in call order:
 *
 *   t0  set('a', 1)          [0.000, 2.000]  |=================               |
 *   t1  get('a') → undefined [1.000, 4.000]  |        =========================|
 *
 * Times are ms from the earliest call. The bar draws each interval on a common
 * scale so overlaps, which is what linearizability is about, show at a glance;
 * a pending operation's bar runs off the right edge.
 */
import { inspect } from 'node:util'
import type { Operation, UpdateDescriptor } from './history.js'
import { invalid, validateOperation } from './validate.js'

const BAR_WIDTH = 32

export function formatHistory(ops: readonly Operation[]): string {
  if (!Array.isArray(ops)) throw invalid('ops must be an array of operations')
  ops.forEach(validateOperation)
  if (ops.length === 0) return ''
  const sorted = [...ops].sort((a, b) => a.call - b.call || a.thread - b.thread)
  const origin = Math.min(...sorted.map((op) => op.call))
  const end = Math.max(...sorted.map((op) => op.ret ?? op.call))
  const span = end - origin || 1
  const threads = sorted.map((op) => `t${op.thread}`)
  const texts = sorted.map(describe)
  const times = sorted.map((op) => `[${(op.call - origin).toFixed(3)}, ${op.ret === undefined ? 'pending' : (op.ret - origin).toFixed(3)}]`)
  const threadWidth = Math.max(...threads.map((s) => s.length))
  const textWidth = Math.max(...texts.map((s) => s.length))
  const timeWidth = Math.max(...times.map((s) => s.length))
  return sorted
    .map((op, i) => {
      const from = Math.round(((op.call - origin) / span) * (BAR_WIDTH - 1))
      const to = op.ret === undefined ? BAR_WIDTH - 1 : Math.round(((op.ret - origin) / span) * (BAR_WIDTH - 1))
      let bar = ''
      for (let x = 0; x < BAR_WIDTH; x++) bar += x < from || x > to ? ' ' : op.ret === undefined && x === to ? '>' : '='
      return `${threads[i]!.padEnd(threadWidth)}  ${texts[i]!.padEnd(textWidth)}  ${times[i]!.padEnd(timeWidth)}  |${bar}|`
    })
    .join('\n')
}

function describe(op: Operation): string {
  const args = op.op === 'update' ? [show(op.key), describeUpdate(op.args[0] as UpdateDescriptor)] : [op.key, ...op.args].map(show)
  const call = `${op.op}(${args.join(', ')})`
  if (op.ret === undefined) return `${call} → ? (pending)`
  return op.op === 'set' ? call : `${call} → ${show(op.result)}`
}

function describeUpdate(desc: UpdateDescriptor): string {
  switch (desc.kind) {
    case 'increment':
      return `v => (v ?? 0) + ${show(desc.by)}`
    case 'set':
      return `() => ${show(desc.value)}`
    case 'delete':
      return '() => undefined'
  }
}

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, compact: true, maxArrayLength: 16, maxStringLength: 80 })
}
