/**
 * What claiming shared work needs to know about the cluster (issue 17, decision 0105): this node's name,
 * how long a node's heartbeat holds its claims, and whether this node's own heartbeat is current. Filled in
 * by src/app/cluster.ts on PostgreSQL; absent on SQLite, where one node owns everything.
 */
export interface ClusterView {
  readonly nodeId: string;
  /** A node whose last heartbeat is older than this is gone: what it claimed may be taken. */
  readonly leaseMs: number;
  /** False while this node could not write its heartbeat lately: others may be taking its work, so it starts none. */
  isMember(): boolean;
  /** True when another live node had this connector up at its last heartbeat (it can send what this node cannot). */
  upElsewhere(connectorId: string): boolean;
  /**
   * Called when another node freed work: `messages` it handed over, or `all` it held (it left the cluster, or this
   * node could not listen for a while and may have missed some). Absent where nothing tells (the sweeps find it).
   */
  onWorkFreed?(listener: (work: 'messages' | 'all') => void): void;
  /** Called with the id of a callback another node stored under an order key this node holds (it sends it). */
  onCallbackHandedOver?(listener: (id: number) => void): void;
}
