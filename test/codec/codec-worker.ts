/**
 * Runs in a worker thread for threads.test.ts: writes the given keys and the 'structured'
 * encodings of the given values into shared memory, and reports where, with each key's hash.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { encodedKeyBytes, hashKey, keyKind, keyViews, structuredCodec, writeKey, type Key } from '../../src/codec/index.js'

export interface CodecJob {
  readonly keys: readonly Key[]
  readonly values: readonly unknown[]
  readonly seed: readonly [number, number]
  readonly memory: SharedArrayBuffer
}

export interface Region {
  readonly byteOffset: number
  readonly byteLength: number
}

export interface CodecReport {
  readonly keys: readonly (Region & { readonly hash: number })[]
  readonly values: readonly Region[]
}

const job = workerData as CodecJob
const views = keyViews(job.memory)
const bytes = new Uint8Array(job.memory)
let next = 0

function reserve(byteLength: number): number {
  const byteOffset = next
  next += (byteLength + 3) & ~3
  if (next > bytes.length) throw new Error('codec-worker: shared memory too small')
  return byteOffset
}

const keys = job.keys.map((key) => {
  const kind = keyKind(key)
  const byteLength = encodedKeyBytes(key, kind)
  const byteOffset = reserve(byteLength)
  writeKey(key, kind, views, byteOffset)
  return { byteOffset, byteLength, hash: hashKey(key, kind, job.seed[0], job.seed[1]) }
})
const values = job.values.map((value) => {
  const encoded = structuredCodec.encode(value)
  const byteOffset = reserve(encoded.length)
  bytes.set(encoded, byteOffset)
  return { byteOffset, byteLength: encoded.length }
})
const report: CodecReport = { keys, values }
parentPort?.postMessage(report)
