/**
 * Number formats shared by the table, the Markdown and the charts: durations in
 * ns/µs/ms, key counts as 100k/1M, ratios with a precision that suits their size.
 */

export function formatNs(ns: number | null): string {
  if (ns === null) return '-'
  if (ns < 1000) return `${ns.toFixed(0)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`
  return `${(ns / 1e6).toFixed(2)} ms`
}

export function shortCount(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`
  return String(n)
}

export function times(value: number | null): string {
  if (value === null) return '-'
  if (value < 0.1) return `${value.toPrecision(2)}x`
  return value >= 100 ? `${value.toFixed(0)}x` : value >= 10 ? `${value.toFixed(1)}x` : `${value.toFixed(2)}x`
}

/** Every line of a table two spaces in, under its section's heading. */
export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
