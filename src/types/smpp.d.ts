/** The parts of the `smpp` package (farhadi/node-smpp, CommonJS, untyped) that telenode uses. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export interface Pdu {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
  }

  export interface Session extends EventEmitter {
    socket: Socket;
    closed: boolean;
    send(pdu: Pdu, responseCallback?: (pdu: Pdu) => void, sendCallback?: (pdu: Pdu) => void, failureCallback?: (pdu: Pdu, err?: Error) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: unknown;
  }

  /** A net.Server, or with `key` and `cert` a tls.Server, whose connections become sessions. */
  export interface Server extends NetServer {
    sessions: Session[];
  }

  export const PDU: new (command: string, options?: Record<string, unknown>) => Pdu;
  export const Session: new (options?: Record<string, unknown>) => Session;
  export function connect(options: Record<string, unknown>, listener?: (session: Session) => void): Session;
  export function createServer(options: Record<string, unknown>, listener: (session: Session) => void): Server;
  export const commands: Record<string, { id: number; params?: Record<string, { filter?: unknown }> }>;
  export const tlvs: Record<string, { id: number; filter?: unknown }>;
  export const errors: Record<string, number>;
}
