/**
 * The contract between the SMS core (outbox, receipts, inbound) and anything
 * that talks to a carrier: SMPP binds, GSM modems, the in-process simulator.
 * Connectors never import api/, voice/ or webhooks/; the core hands them a
 * `ConnectorSink` to report what the carrier says.
 */
import type { MessageStatus } from '../message.js';
import type { AppError } from '../../shared/errors.js';

/** One part of a planned message, ready for the wire. */
export interface SubmitPart {
  messageId: string;
  partNo: number; // 1-based
  partsTotal: number;
  sender: string;
  recipient: string;
  /** SMPP data_coding / TP-DCS: 0 = GSM 03.38 default alphabet, 8 = UCS-2. */
  dataCoding: number;
  /** Encoded text of this part: GSM septets one per octet (unpacked) or UCS-2 big-endian. */
  payload: Buffer;
  /** Concatenation: reference and counts; the connector carries them as UDH, SAR TLVs or not at all. */
  concat: { reference: number; total: number; seq: number } | null;
  /** Ask the carrier for a delivery receipt. */
  wantReceipt: boolean;
  /** Absolute validity end (epoch ms) or null for the carrier's default. */
  validUntil: number | null;
}

export interface ConnectorBindState {
  name: string;
  /** SMPP: 'transceiver' | 'transmitter' | 'receiver'; modems: 'modem'. */
  role: string;
  /** 'connecting' | 'binding' | 'bound' | 'unbinding' | 'closed' */
  state: string;
  windowInUse: number;
  windowSize: number;
  /** When the bind entered `state` (epoch ms): how long a carrier has been down is what an operator asks first. */
  since?: number;
  /** SMPP: the carrier answered ESME_RTHROTTLED lately and the bind sends slower than configured. */
  throttled?: boolean;
  /** SMPP: the rate the bind sends at now, messages per second (null: no limit known). */
  rate?: number | null;
  /** Modems: AT+CSQ rssi (0..31, 99 unknown) and AT+CREG stat (1 home, 5 roaming). */
  signal?: number;
  registration?: number;
  /** Modems: network operator (AT+COPS?), parts waiting for this modem, quirk profile and message mode. */
  operator?: string;
  queued?: number;
  profile?: string;
  messageMode?: string;
}

export interface ConnectorStatus {
  id: string;
  kind: string;
  up: boolean;
  binds: ConnectorBindState[];
  /** Parts waiting inside the connector for a window slot or a rate token. */
  queued: number;
  /** Clusters: the node that serves this connector when it is not this one (a modem connector's `node`). */
  servedBy?: string;
}

export interface Connector {
  readonly id: string;
  readonly kind: 'smpp' | 'simulator' | 'modem';
  /** How the connector carries concatenation; the planner splits text to fit it. */
  readonly concatMode: 'udh8' | 'udh16' | 'sar' | 'payload';
  /**
   * Parts the outbox may have with it between handing them over and committing their answers (submit-pipeline.ts):
   * what a crash can send twice. None: no limit of this kind (a modem sends one part at a time anyway).
   */
  readonly pipelineLimit?: number;
  start(): Promise<void>;
  /** Stop taking parts, wait for in-flight submits (up to drainMs), then unbind and close. */
  stop(drainMs?: number): Promise<void>;
  /** True when at least one bind can send now. */
  isUp(): boolean;
  /**
   * Send one part. Resolves with the carrier's message id once the carrier
   * answered (submit_sm_resp OK). Window and rate limits are honoured inside:
   * the call waits for a slot. Throttling answers (ESME_RTHROTTLED,
   * ESME_RMSGQFUL) are retried inside with back-off. Rejects with an AppError
   * whose `retryable` tells the outbox whether to try again later, and whose
   * `protocolStatus` keeps the carrier's status.
   */
  submit(part: SubmitPart): Promise<string>;
  status(): ConnectorStatus;
}

/** A delivery receipt as the core needs it, whatever the wire form. */
export interface ReceiptEvent {
  connectorId: string;
  /** The carrier's id for the part, exactly as the carrier wrote it in the receipt. */
  carrierId: string;
  status: MessageStatus; // buffered | delivered | failed | expired
  /** Carrier's words: SMPP receipt `stat:` (DELIVRD, UNDELIV …) and `err:`. */
  stat: string;
  err: string | null;
  submitDate: number | null;
  doneDate: number | null;
  text: string | null;
  /**
   * The carrier reuses ids (a modem's TP-MR wraps at 256): the receipt is for
   * the most recently submitted part with this id that is not final yet, and
   * waits unmatched while there is none.
   */
  idRecycles?: boolean;
}

/** One inbound (MO) PDU; the core reassembles concatenated ones. */
export interface InboundFragment {
  connectorId: string;
  sender: string;
  recipient: string;
  dataCoding: number;
  /** Message octets without the UDH. */
  payload: Buffer;
  concat: { reference: number; total: number; seq: number } | null;
  receivedAt: number;
}

/**
 * What the core hands every connector. The promises resolve only once the
 * event is durably stored: connectors acknowledge to the carrier (deliver_sm_resp,
 * CNMA, CMGD) after that, never before.
 */
export interface ConnectorSink {
  receipt(event: ReceiptEvent): Promise<void>;
  inbound(fragment: InboundFragment): Promise<void>;
  connectorStateChanged(connectorId: string, up: boolean): void;
}

export type { AppError };
