/**
 * Terminal output for the CLI: colour and a live status line when the stream is a
 * TTY (and NO_COLOR is unset), plain lines otherwise, so that logs and pipes get
 * clean text.
 */
export interface Io {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  readonly isTTY: boolean
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true && process.env.NO_COLOR === undefined }
}

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const
export type Style = keyof typeof codes

export function paint(io: Io, style: Style, text: string): string {
  return io.isTTY ? `\u001b[${codes[style]}m${text}\u001b[0m` : text
}

/** A status line rewritten in place on a TTY; silent otherwise. */
export class StatusLine {
  readonly #io: Io
  #shown = false

  constructor(io: Io) {
    this.#io = io
  }

  update(text: string): void {
    if (!this.#io.isTTY) return
    this.#io.stderr.write(`\r\u001b[2K${text}`)
    this.#shown = true
  }

  clear(): void {
    if (!this.#shown) return
    this.#io.stderr.write('\r\u001b[2K')
    this.#shown = false
  }
}

/** Formats rows as a left-aligned text table with a header rule. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`
  return perSecond.toFixed(0)
}
