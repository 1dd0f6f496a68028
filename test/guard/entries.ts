/** How guard-worker's `record` command derives every field of an audit entry from (thread, i), so that a torn entry shows. */
export function opOf(i: number): string {
  return ['get', 'set', 'delete', 'update', 'swap'][i % 5] as string
}

/** 60 bytes: the writer and its counter, then a letter that also follows from the counter. */
export function keyOf(thread: number, i: number): string {
  const head = `${thread}:${i}:`
  return head + String.fromCharCode(97 + (i % 26)).repeat(60 - head.length)
}
