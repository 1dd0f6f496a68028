// Regenerates the benchmark charts under docs/ from one `conmap bench --json` result:
//   npm run build && node dist/src/cli/main.js bench --json > bench.json
//   node scripts/bench-charts.mjs bench.json [output dir, default docs]
// With --markdown it also prints the figures of BENCHMARKS.md as Markdown tables.
// The drawing lives in src/bench/ (built to dist/), so this needs a build.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { renderCharts } from '../dist/src/bench/charts.js'
import { renderMarkdown } from '../dist/src/bench/markdown.js'

const args = process.argv.slice(2)
const markdown = args.includes('--markdown')
const [input, outDir = 'docs'] = args.filter((a) => a !== '--markdown')
if (input === undefined) {
  console.error('usage: node scripts/bench-charts.mjs <result.json> [output dir, default docs] [--markdown]')
  process.exit(2)
}
const result = JSON.parse(readFileSync(input, 'utf8'))
if (result.tool !== 'conmap bench') {
  console.error(`${input} is not a 'conmap bench --json' result`)
  process.exit(2)
}
mkdirSync(outDir, { recursive: true })
for (const chart of renderCharts(result)) {
  writeFileSync(join(outDir, chart.name), chart.svg)
  console.error(`wrote ${join(outDir, chart.name)}`)
}
if (markdown) process.stdout.write(renderMarkdown(result))
