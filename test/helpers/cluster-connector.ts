/**
 * The carrier connector the cluster tests give every node: the SMSC simulator on loopback, system id `telenode`, and a
 * reconnect quick enough for a test. `extra` adds or overrides (binds, window, another system id).
 */
export function smscConnector(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 }, ...extra };
}
