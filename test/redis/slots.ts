// Slot moves on a real Redis Cluster for the tests, as redis-cli --cluster reshard does them
// (valkey-doc topics/cluster-spec.md, "Live resharding"): CLUSTER SETSLOT <slot> IMPORTING on
// the target, MIGRATING on the source, MIGRATE of the slot's keys, then SETSLOT <slot> NODE
// on the target, the source and every other primary. The steps are separate calls so that
// a test can hold the slot between them, under load; and the server's error counters
// (INFO errorstats) tell how many ASK, MOVED and TRYAGAIN replies a node gave.
import type { RedisCluster, RedisServer } from '../helpers/redis-servers.js'

export interface ClusterNode {
  readonly id: string
  readonly server: RedisServer
  readonly primary: boolean
  /** The id of its primary, for a replica. */
  readonly primaryId: string | undefined
  readonly ranges: readonly string[]
}

function inRange(range: string, slot: number): boolean {
  const [lo, hi] = range.split('-').map(Number)
  return lo !== undefined && slot >= lo && slot <= (hi ?? lo)
}

/** The cluster's nodes as the first node sees them (CLUSTER NODES). */
export async function clusterNodes(cluster: RedisCluster): Promise<ClusterNode[]> {
  const first = cluster.nodes[0] as RedisServer
  const lines = (await first.cli(['cluster', 'nodes'])).trim().split('\n')
  return lines.map((line) => {
    const [id = '', address = '', flags = '', primaryId = '', , , , , ...ranges] = line.split(' ')
    const port = Number(/:(\d+)@/.exec(address)?.[1])
    const server = cluster.nodes.find((n) => n.port === port)
    if (server === undefined) throw new Error(`CLUSTER NODES names a node this test did not start: ${line}`)
    // A slot in migration shows as [slot->-id] / [slot-<-id]: not an owned range.
    return { id, server, primary: flags.includes('master'), primaryId: primaryId === '-' ? undefined : primaryId, ranges: ranges.filter((r) => !r.startsWith('[')) }
  })
}

export async function slotOf(cluster: RedisCluster, key: string): Promise<number> {
  return Number((await (cluster.nodes[0] as RedisServer).cli(['cluster', 'keyslot', key])).trim())
}

/** The primary that owns slot. */
export function ownerOf(nodes: readonly ClusterNode[], slot: number): ClusterNode {
  const owner = nodes.find((n) => n.primary && n.ranges.some((r) => inRange(r, slot)))
  if (owner === undefined) throw new Error(`no primary owns slot ${slot}`)
  return owner
}

export interface SlotMove {
  /** SETSLOT IMPORTING on the target, then MIGRATING on the source. */
  open(): Promise<void>
  /** MIGRATE of these keys (all in the slot) from the source to the target, in one atomic call. */
  migrate(keys: readonly string[]): Promise<void>
  /** SETSLOT NODE <target> on the target, the source, then every other primary. */
  close(): Promise<void>
}

export function slotMove(nodes: readonly ClusterNode[], slot: number, source: ClusterNode, target: ClusterNode): SlotMove {
  const s = String(slot)
  return {
    async open() {
      await target.server.cli(['cluster', 'setslot', s, 'importing', source.id])
      await source.server.cli(['cluster', 'setslot', s, 'migrating', target.id])
    },
    async migrate(keys) {
      const reply = await source.server.cli(['migrate', target.server.host, String(target.server.port), '', '0', '5000', 'KEYS', ...keys])
      if (!/^(OK|NOKEY)/.test(reply.trim())) throw new Error(`MIGRATE ${keys.join(' ')}: ${reply}`)
    },
    async close() {
      const others = nodes.filter((n) => n.primary && n !== source && n !== target)
      for (const node of [target, source, ...others]) await node.server.cli(['cluster', 'setslot', s, 'node', target.id])
    },
  }
}

/** The node's error replies since its last CONFIG RESETSTAT, by prefix (INFO errorstats). */
export async function errorCounts(node: RedisServer): Promise<Map<string, number>> {
  const info = await node.cli(['info', 'errorstats'])
  return new Map([...info.matchAll(/errorstat_(\w+):count=(\d+)/g)].map((m) => [m[1] as string, Number(m[2])]))
}

/** The node's calls of each command since its last CONFIG RESETSTAT (INFO commandstats). */
export async function commandCalls(node: RedisServer): Promise<Map<string, number>> {
  const info = await node.cli(['info', 'commandstats'])
  return new Map([...info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)].map((m) => [m[1] as string, Number(m[2])]))
}
