// The worker's side of the start line of test/helpers/workers.ts, for every fixture worker.

/**
 * Waits until every worker of this one's start batch has booted (see
 * test/helpers/workers.ts), or START_LINE_MS at most: the start line is there to make
 * contention real, never to make a test hang (a parent that blocks right after starting
 * its workers has not yet published the batch size). Then the batch starts at one
 * instant, GO_DELAY_MS ahead, every worker spinning until then: a worker merely woken
 * from Atomics.wait may wait for a core longer than a scenario's whole loop.
 *
 * Start line words: Int32 0 arrived, 1 batch size, 2 go (0, 1 = being set, 2 = set);
 * Float64 at byte 16: the go instant (Date.now() time).
 */
const START_LINE_MS = 1000
const GO_DELAY_MS = 5

export function arriveAtStartLine(buffer: SharedArrayBuffer | undefined): void {
  if (buffer === undefined) return
  const line = new Int32Array(buffer, 0, 3)
  const goAt = new Float64Array(buffer, 16, 1)
  Atomics.add(line, 0, 1)
  Atomics.notify(line, 0)
  const giveUp = performance.now() + START_LINE_MS
  for (;;) {
    const arrived = Atomics.load(line, 0)
    const size = Atomics.load(line, 1)
    if (size === 1) return
    if (size > 0 && arrived >= size) break
    if (performance.now() > giveUp) return
    Atomics.wait(line, 0, arrived, 5)
  }
  if (Atomics.compareExchange(line, 2, 0, 1) === 0) {
    goAt[0] = Date.now() + GO_DELAY_MS
    Atomics.store(line, 2, 2)
  }
  while (Atomics.load(line, 2) !== 2);
  const at = goAt[0] ?? 0
  while (Date.now() < at);
}
