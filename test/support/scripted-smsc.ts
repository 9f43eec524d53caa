/**
 * An SMSC the test scripts, on a raw TCP socket on loopback: how it answers a
 * bind, each submit_sm (a message id, a command_status, or nothing at all),
 * and whether it answers enquire_link. For unit tests of one SMPP bind.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodePdu, readPdus } from '../helpers/raw-smpp.js';

export type SubmitAnswer = { messageId: string } | { status: number } | 'silence';

export class ScriptedSmsc {
  bindStatus = 0;
  answerEnquireLink = true;
  /** Answers for the next submits, in order; when empty, each gets a fresh id. */
  readonly submitAnswers: SubmitAnswer[] = [];
  connections = 0;
  submits = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Drop every connection (the SMSC's side of a lost link). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    readPdus(socket, (_pdu, commandId, sequence) => {
      const reply = (command: string, fields: Record<string, unknown> = {}) => socket.write(encodePdu(command, { sequence_number: sequence, ...fields }));
      if (commandId === 0x00000009) return void reply('bind_transceiver_resp', { command_status: this.bindStatus, system_id: 'scripted' });
      if (commandId === 0x00000015) return void (this.answerEnquireLink && reply('enquire_link_resp'));
      if (commandId === 0x00000006) return void reply('unbind_resp');
      if (commandId === 0x00000004) {
        this.submits++;
        const answer = this.submitAnswers.shift() ?? { messageId: `M${this.submits}` };
        if (answer === 'silence') return;
        if ('status' in answer) return void reply('submit_sm_resp', { command_status: answer.status });
        reply('submit_sm_resp', { message_id: answer.messageId });
      }
    });
  }
}
