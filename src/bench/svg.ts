/**
 * A grouped bar chart as standalone SVG text, with no dependencies: groups along x,
 * one bar per series in each group, a linear or logarithmic y axis, optional
 * horizontal reference lines. Several panels go side by side under one title and a
 * footer that names the machine and the command.
 */

export interface Bar {
  readonly series: string
  readonly value: number | null
}

export interface Panel {
  readonly title: string
  readonly yLabel: string
  readonly log: boolean
  readonly groups: readonly { readonly label: string; readonly bars: readonly Bar[] }[]
  readonly lines?: readonly { readonly value: number; readonly label: string }[]
  readonly format: (value: number) => string
}

export interface Chart {
  readonly title: string
  readonly footer: readonly string[]
  readonly series: readonly string[]
  readonly panels: readonly Panel[]
}

const PALETTE = ['#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#d62728', '#7f7f7f', '#bcbd22', '#17becf', '#e377c2']
const PANEL_W = 560
const PANEL_H = 330
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 }

export function renderChart(chart: Chart): string {
  const legendRows = Math.ceil(chart.series.length / 4)
  const width = chart.panels.length * PANEL_W
  const top = 44 + legendRows * 18
  const height = top + PANEL_H + 16 + chart.footer.length * 15
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`)
  chart.series.forEach((name, i) => {
    const x = 20 + (i % 4) * ((width - 40) / 4)
    const y = 40 + Math.floor(i / 4) * 18
    out.push(`<rect x="${x}" y="${y - 9}" width="11" height="11" fill="${colour(i)}"/>`)
    out.push(`<text x="${x + 16}" y="${y}">${escape(name)}</text>`)
  })
  chart.panels.forEach((panel, i) => out.push(`<g transform="translate(${i * PANEL_W},${top})">${renderPanel(panel, chart.series)}</g>`))
  chart.footer.forEach((line, i) => {
    out.push(`<text x="10" y="${top + PANEL_H + 14 + i * 15}" fill="#555555" font-size="10">${escape(line)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function renderPanel(panel: Panel, series: readonly string[]): string {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom
  const values = [...panel.groups.flatMap((g) => g.bars.map((b) => b.value)), ...(panel.lines ?? []).map((l) => l.value)].filter((v): v is number => v !== null && v > 0)
  const max = Math.max(...values, 1e-9)
  const min = Math.min(...values, max)
  const scale = panel.log ? logScale(min, max) : linearScale(max)
  const y = (v: number) => MARGIN.top + plotH - scale.at(v) * plotH
  const out: string[] = []
  out.push(`<text x="${PANEL_W / 2}" y="18" text-anchor="middle" font-size="12" font-weight="bold">${escape(panel.title)}</text>`)
  for (const tick of scale.ticks) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${escape(panel.format(tick))}</text>`)
  }
  out.push(`<text transform="translate(14,${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(panel.yLabel)}</text>`)
  const groupW = plotW / Math.max(1, panel.groups.length)
  panel.groups.forEach((group, g) => {
    const present = group.bars
    const barW = Math.min(28, (groupW - 12) / Math.max(1, present.length))
    const start = MARGIN.left + g * groupW + (groupW - barW * present.length) / 2
    present.forEach((bar, b) => {
      const x = start + b * barW
      const index = series.indexOf(bar.series)
      if (bar.value === null || bar.value <= 0) {
        out.push(`<text x="${x + barW / 2}" y="${MARGIN.top + plotH - 4}" text-anchor="middle" font-size="9" fill="#999999">n/a</text>`)
        return
      }
      const top = y(bar.value)
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(MARGIN.top + plotH - top).toFixed(1)}" fill="${colour(index)}"><title>${escape(`${bar.series}: ${panel.format(bar.value)}`)}</title></rect>`)
    })
    out.push(`<text x="${MARGIN.left + g * groupW + groupW / 2}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escape(group.label)}</text>`)
  })
  for (const line of panel.lines ?? []) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(line.value)}" y2="${y(line.value)}" stroke="#333333" stroke-dasharray="5,3"/>`)
    out.push(`<text x="${MARGIN.left + plotW - 2}" y="${y(line.value) - 4}" text-anchor="end" font-size="10">${escape(line.label)}</text>`)
  }
  out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333333"/>`)
  out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333333"/>`)
  return out.join('\n')
}

interface Scale {
  /** Position of a value from 0 (axis) to 1 (top). */
  at(value: number): number
  readonly ticks: readonly number[]
}

function logScale(min: number, max: number): Scale {
  const lo = Math.floor(Math.log10(min))
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)))
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
  return { at: (v) => (Math.log10(v) - lo) / (hi - lo), ticks }
}

function linearScale(max: number): Scale {
  const step = 10 ** Math.floor(Math.log10(max)) * (max / 10 ** Math.floor(Math.log10(max)) > 5 ? 2 : 1)
  const top = Math.ceil(max / step) * step
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step)
  return { at: (v) => v / top, ticks }
}

function colour(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#000000'
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
