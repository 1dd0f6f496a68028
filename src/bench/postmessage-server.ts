/**
 * The baseline users have today: one Map owned by the main thread, and workers that
 * ask it for every get and set over a MessagePort, one request at a time, each
 * answer structured-cloned back.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'

export class PostMessageServer {
  readonly map: Map<string, unknown>
  readonly #ports: MessagePort[] = []

  constructor(map: Map<string, unknown>) {
    this.map = map
  }

  /** A port to transfer to one worker; requests are [0, key] (get) and [1, key, value] (set). */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel()
    const map = this.map
    port1.on('message', (request: [number, string, unknown?]) => {
      if (request[0] === 0) port1.postMessage(map.get(request[1]))
      else {
        map.set(request[1], request[2])
        port1.postMessage(true)
      }
    })
    this.#ports.push(port1)
    return port2
  }

  /** Closes the ports of finished windows. */
  disconnect(): void {
    for (const port of this.#ports.splice(0)) port.close()
  }
}
