import { Worker } from 'node:worker_threads'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Starts a storm thread running `file`, with the parent's Node options.
 *
 * No execArgv is given: Node then hands the worker every option that is per thread
 * (--conditions, --import, --enable-source-maps, …) and leaves out on its own those
 * it would refuse in an explicit execArgv, the per-process and V8 ones, which apply
 * to every thread of the process anyway. Which options those are changes between
 * Node versions, and `node --test` on Node 24 gives its test files two dozen of them
 * (--secure-heap=0, --node-snapshot, --v8-pool-size=4, …), so no list kept here
 * could follow Node's.
 *
 * One inherited option breaks a worker: --input-type (from `node --input-type=module
 * -e …` or NODE_OPTIONS), which Node enforces against a main module read from a file.
 * The worker's main module is therefore a data: URL that imports `file`.
 */
export function startThread(file: URL | string, workerData: unknown): Worker {
  const href = (typeof file === 'string' ? pathToFileURL(resolve(file)) : file).href
  const entry = new URL(`data:text/javascript,${encodeURIComponent(`import ${JSON.stringify(href)}`)}`)
  return new Worker(entry, { workerData })
}
