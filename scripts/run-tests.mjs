// Runs node's test runner over the compiled tests in dist/test. Files run one at a
// time: most suites start several worker threads, and two such suites at once on a
// 2-core machine would measure the scheduler rather than conmap.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return collect(path)
    return name.endsWith('.test.js') ? [path] : []
  })
}

const filter = process.argv.slice(2)
const files = collect('dist/test')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort()
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)')
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
