/**
 * A connector another node of the cluster serves: a modem connector pinned with `node:` to the machine its
 * modems are plugged into (issue 17). This node opens no port and sends nothing through it; it is never up
 * here, so the outbox hands the connector's messages to the node whose heartbeat says it is up there.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Connector, ConnectorStatus, SubmitPart } from './connector.js';

export class ElsewhereConnector implements Connector {
  readonly concatMode = 'udh8' as const;

  constructor(
    readonly id: string,
    readonly kind: Connector['kind'],
    /** The `node.id` that serves it. */
    readonly node: string,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  isUp(): boolean {
    return false;
  }

  submit(part: SubmitPart): Promise<string> {
    return Promise.reject(
      new AppError(ErrorCode.CONNECTOR_DOWN, `connector '${this.id}' is served by node '${this.node}'`, {
        retryable: true,
        details: { messageId: part.messageId, node: this.node },
      }),
    );
  }

  status(): ConnectorStatus {
    return { id: this.id, kind: this.kind, up: false, binds: [], queued: 0, servedBy: this.node };
  }
}
