// conmap/prometheus: prom-client collectors reading the map's shared memory at
// scrape time. The registry's text in the main thread carries the workers' exact
// counts as one series per label set; then a real Prometheus (Debian's package,
// started here on a loopback port) scrapes a process with two workers, and every
// query of the Grafana dashboard returns data.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { SharedMap, guard } from '../../src/index.js'
import { grafanaDashboard, registerBreaker, registerMetrics } from '../../src/exporters/prometheus.js'
import { sleep, start, withCode } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))

/** The exposition text as series (name and labels, as written) -> value. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    const name = line.slice(0, at)
    assert.equal(series.has(name), false, `one series per label set: ${name} twice`)
    series.set(name, Number(line.slice(at + 1)))
  }
  return series
}

describe('conmap/prometheus', () => {
  test("the main thread's registry shows four workers' exact counts, one series each", async () => {
    const map = new SharedMap<string, number>({ metrics: true })
    const registry = new Registry()
    registerMetrics(map, { registry, name: 'm', hotKeys: 3 })
    const n = 200
    await Promise.all(Array.from({ length: 4 }, (_, w) => start('ops', { handle: map.handle, prefix: `w${w}:`, n }, metricsWorker).result))
    const series = parse(await registry.metrics())
    const at = (name: string) => {
      const value = series.get(name)
      assert.ok(value !== undefined, `${name} exported`)
      return value
    }
    assert.equal(at('conmap_map_operations_total{map="m",op="get",outcome="ok"}'), 2 * 4 * n)
    assert.equal(at('conmap_map_operations_total{map="m",op="set",outcome="ok"}'), 4 * n)
    assert.equal(at('conmap_map_operations_total{map="m",op="set",outcome="ERR_INVALID_KEY"}'), 4)
    assert.equal(at('conmap_map_operations_total{map="m",op="update",outcome="ok"}'), 4 * n)
    assert.equal(at('conmap_map_lookups_total{map="m",op="get",result="hit"}'), 4 * n)
    assert.equal(at('conmap_map_lookups_total{map="m",op="get",result="miss"}'), 4 * n)
    assert.equal(at('conmap_map_lookups_total{map="m",op="delete",result="hit"}'), 2 * n)
    const writes = 4 * (n + n / 2 + n)
    assert.equal(at('conmap_lock_acquisitions_total{map="m",mode="write"}'), writes)
    assert.equal(at('conmap_lock_wait_seconds_count{map="m",mode="write"}'), writes)
    assert.equal(at('conmap_lock_wait_seconds_bucket{map="m",mode="write",le="+Inf"}'), writes)
    assert.equal(at('conmap_lock_wait_seconds_bucket{map="m",mode="read",le="0.000001"}'), 0)
    assert.equal(at('conmap_map_entries{map="m"}'), map.size)
    assert.equal(at('conmap_lock_timeouts_total{map="m"}'), 0)
    assert.equal(at('conmap_map_bytes{map="m",kind="max"}'), map.stats().bytes.max)
    // Buckets are cumulative and end at the count.
    const buckets = [...series].filter(([name]) => name.startsWith('conmap_lock_wait_seconds_bucket') && name.includes('mode="write"')).map(([, v]) => v)
    assert.equal(buckets.length, 22)
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i] ?? 0) >= (buckets[i - 1] ?? 0))
    // The hottest key of the workload: each worker updated `${prefix}u` n times.
    assert.equal([...series.keys()].filter((name) => name.startsWith('conmap_map_hot_key_calls')).length, 3)
  })

  test('several maps share a registry under their map label; names are unique; unregister removes them', async () => {
    const registry = new Registry()
    const a = new SharedMap<string, number>({ metrics: true })
    const b = new SharedMap<string, number>({ metrics: true })
    const offA = registerMetrics(a, { registry, name: 'a' })
    const offB = registerMetrics(b, { registry, name: 'b', hotKeys: 0 })
    a.set('x', 1)
    b.get('y')
    let series = parse(await registry.metrics())
    assert.equal(series.get('conmap_map_operations_total{map="a",op="set",outcome="ok"}'), 1)
    assert.equal(series.get('conmap_map_lookups_total{map="b",op="get",result="miss"}'), 1)
    assert.throws(() => registerMetrics(b, { registry, name: 'a' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerMetrics(new SharedMap(), { registry: new Registry(), name: 'plain' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerMetrics(a, { registry: {} as Registry, name: 'x' }), withCode('ERR_INVALID_ARGUMENT'))
    offA()
    series = parse(await registry.metrics())
    assert.equal([...series.keys()].some((name) => name.includes('map="a"')), false)
    offB()
    assert.equal(await registry.metrics(), '\n')
    // Under 'none' a scrape beside a write would be a misuse: no hot keys unless asked.
    const none = new SharedMap<string, number>({ concurrency: 'none', metrics: { sample: 1 } })
    none.set('k', 1)
    registerMetrics(none, { registry, name: 'none' })
    assert.equal((await registry.metrics()).includes('conmap_map_hot_key_calls{'), false)
    assert.deepEqual(none.hotKeys(1), [{ key: 'k', count: 1 }])
  })

  const prometheus = spawnSync('prometheus', ['--version'], { encoding: 'utf8' })
  const installed = prometheus.status === 0
  // CI installs Debian's prometheus (.ci/run): there a missing binary is a failure, not a skip.
  test('a real Prometheus scrapes a process with two workers, and every dashboard query returns data', { skip: !installed && process.env.CI !== 'true' ? 'prometheus is not installed (apt-get install prometheus)' : false }, async () => {
    assert.ok(installed, 'the prometheus binary runs')
    const map = new SharedMap<string, number>({ metrics: true })
    const keys = Array.from({ length: 500 }, (_, i) => `item:${i}`)
    keys.forEach((key, i) => map.set(key, i))
    const registry = new Registry()
    registerMetrics(map, { registry, name: 'example' })
    registerBreaker(guard(map, { name: 'example', breaker: { failures: 5 } }).breaker, { registry, name: 'example' })
    const stop = new SharedArrayBuffer(4)
    const workers = Array.from({ length: 2 }, (_, w) => start('zipfUntilStopped', { handle: map.handle, keys, stop, seed: 5 + w }, metricsWorker))
    const target = await serve(registry)
    const dir = mkdtempSync(join(tmpdir(), 'conmap-prom-'))
    let child: ChildProcess | undefined
    after(() => {
      Atomics.store(new Int32Array(stop), 0, 1)
      target.close()
      child?.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    })
    const port = await freePort()
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: conmap\n    static_configs:\n      - targets: ['127.0.0.1:${(target.address() as AddressInfo).port}']\n`)
    child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' })
    const api = `http://127.0.0.1:${port}/api/v1`
    const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`)
      const body = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
      assert.equal(body.status, 'success', `${expr}: ${body.error ?? ''}`)
      return body.data?.result ?? []
    }
    // Ready once five scrapes are in: rate() over 5s then has samples to work on.
    await until(async () => {
      try {
        return Number((await query('count_over_time(conmap_map_entries{map="example"}[1m])'))[0]?.value[1] ?? 0) >= 5
      } catch {
        return false
      }
    }, 60_000)
    const dashboard = grafanaDashboard() as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> }
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const result = await query(expr.replaceAll('$__rate_interval', '5s').replaceAll('$map', 'example'))
        assert.ok(result.length > 0, `panel '${panel.title}': ${expr} returned no data`)
      }
    }
    const maps = (await (await fetch(`${api}/label/map/values?match[]=conmap_map_entries`)).json()) as { data: string[] }
    assert.deepEqual(maps.data, ['example'])
    // One series per label set for the whole process, not one per worker.
    const gets = await query('conmap_map_operations_total{map="example",op="get",outcome="ok"}')
    assert.equal(gets.length, 1)
    Atomics.store(new Int32Array(stop), 0, 1)
    await Promise.all(workers.map((w) => w.result))
  })
})

function serve(registry: Registry): Promise<Server> {
  const server = createServer((_, response) => {
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => response.writeHead(500).end(String(err)),
    )
  })
  server.listen(0, '127.0.0.1')
  return once(server, 'listening').then(() => server)
}

async function freePort(): Promise<number> {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not ready within ${ms} ms`)
    await sleep(250)
  }
}
