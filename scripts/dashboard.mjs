// Writes the Grafana dashboard of conmap/prometheus's series (src/exporters/dashboard.ts)
// to dashboards/conmap.json, the file the package ships; a test checks they are equal.
//
//   npm run build && node scripts/dashboard.mjs
import { writeFileSync } from 'node:fs'

const { grafanaDashboard } = await import(new URL('../dist/src/exporters/prometheus.js', import.meta.url).href)
const file = new URL('../dashboards/conmap.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(grafanaDashboard(), null, 2)}\n`)
console.log(`wrote ${file.pathname}`)
