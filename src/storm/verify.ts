/**
 * Runs the verification probe (storm-probe.ts) with a bound: each of its steps must
 * finish within the stall timeout, or the probe is terminated and the stuck step is
 * reported as a deadlock.
 */
import type { SharedMapHandle } from '../map/index.js'
import type { ProbeData, ProbeMessage, ProbeResult } from './storm-probe.js'
import { startThread } from './thread.js'

const probeFile = new URL('./storm-probe.js', import.meta.url)

export type ProbeOutcome =
  | { readonly kind: 'result'; readonly result: ProbeResult }
  | { readonly kind: 'stuck'; readonly step: string }
  | { readonly kind: 'failed'; readonly message: string }

export function runProbe(handle: SharedMapHandle, target: Pick<ProbeData, 'keys' | 'cache' | 'maxEntries'>, stallMs: number): Promise<ProbeOutcome> {
  const data: ProbeData = { handle, origin: performance.timeOrigin, ...target }
  const worker = startThread(probeFile, data)
  return new Promise((resolve) => {
    let step = 'starting'
    let settled = false
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
      void worker.terminate()
    }
    const arm = () => setTimeout(() => finish({ kind: 'stuck', step }), stallMs)
    let timer = arm()
    worker.on('message', (message: ProbeMessage) => {
      if (message.type === 'step') {
        step = message.step
        clearTimeout(timer)
        timer = arm()
      } else {
        finish({ kind: 'result', result: message })
      }
    })
    worker.once('error', (err) => finish({ kind: 'failed', message: err.message }))
    worker.once('exit', (code) => finish({ kind: 'failed', message: `the probe exited with code ${code} before answering` }))
  })
}
