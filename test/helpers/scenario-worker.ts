// The frame of a scenario worker (test/fixtures/map-worker.ts and its kin): workerData
// names a scenario and the handle of the map it runs on; the worker may post
// { event, value } along the way and ends with { result } or { error }, the error
// serialized so that its code survives the crossing.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { serializeError, type SharedMapHandle } from '../../src/index.js'

export interface ScenarioData {
  scenario: string
  handle: SharedMapHandle
  [name: string]: unknown
}

/** This worker's data and port; name says which fixture refused to run outside a worker. */
export function scenarioWorker(name: string): { data: ScenarioData; port: MessagePort } {
  if (parentPort === null) throw new Error(`${name} must run in a worker thread`)
  return { data: workerData as ScenarioData, port: parentPort }
}

/** Runs the scenario data names and posts how it ended. */
export async function runScenario(scenarios: Record<string, () => unknown>, data: ScenarioData, port: MessagePort): Promise<void> {
  const run = scenarios[data.scenario]
  if (run === undefined) throw new Error(`unknown scenario ${data.scenario}`)
  try {
    port.postMessage({ result: await run() })
  } catch (err) {
    port.postMessage({ error: serializeError(err) })
  }
}
