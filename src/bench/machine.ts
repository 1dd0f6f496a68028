/**
 * The machine a result was measured on, printed with every table and chart: thread
 * scaling means nothing without the cores and the calibration beside it.
 */
import { availableParallelism, cpus, platform, arch, release, totalmem } from 'node:os'
import type { Machine } from './result.js'

export function describeMachine(): Machine {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU'
  return {
    cores: availableParallelism(),
    cpuModel: model,
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()} ${arch()}`,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    timerFloorNs: timerFloor(),
  }
}

/** Median cost of the performance.now() pair that brackets each timed operation. */
function timerFloor(): number {
  const samples: number[] = []
  for (let round = 0; round < 9; round++) {
    const n = 100_000
    let sink = 0
    const began = performance.now()
    for (let i = 0; i < n; i++) sink += performance.now()
    samples.push(sink > 0 ? (((performance.now() - began) * 1e6) / n) * 2 : 0)
  }
  samples.sort((a, b) => a - b)
  return Math.round(samples[4] ?? 0)
}

export function describeShortly(machine: Machine): string {
  return `${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, ${machine.platform}`
}
