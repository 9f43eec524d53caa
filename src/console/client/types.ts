/** The shapes the console's endpoints answer with (src/api/admin/routes.ts, src/app/console.ts). */

export interface BindState {
  name: string;
  role: string;
  state: string;
  since?: number;
  windowInUse: number;
  windowSize: number;
  throttled?: boolean;
  rate?: number | null;
  signal?: number;
  registration?: number;
  operator?: string;
  queued?: number;
}

export interface Overview {
  node: { id: string; store: string; startedAt: number; now: number };
  connectors: { id: string; kind: string; up: boolean; binds: BindState[]; queued: number; servedBy?: string }[];
  smppServer: { listen: string; binds: Record<string, number> } | null;
  voice: {
    engine: string;
    up: boolean;
    listen: string[];
    registrations: { aor: string; registered: boolean; lastError: string | null }[];
    activeCalls: number;
  } | null;
  outbox: { depth: number; ready: number; parked: number; retrying: number; inFlight: number };
  callbacks: { pending: number; inFlight: number; failingDestinations: number; failing: number; dead: number };
  emails: { enabled: boolean; pending: number };
  cluster: {
    nodes: { id: string; alive: boolean; messages: number; callbacks: number }[];
    binds: { connectorId: string; slot: number; nodeId: string | null }[];
  } | null;
  throughput: { bucketSeconds: number; times: number[]; counts: Record<'accepted' | 'submitted' | 'delivered' | 'failed', number[]> };
}

export interface Message {
  id: string;
  user: string;
  dialect: string;
  sender: string;
  recipient: string;
  text: string;
  status: string;
  connectorId: string | null;
  attempts: number;
  errorCode: string | null;
  errorText: string | null;
  carrierStatus: string | null;
  carrierError: string | null;
  createdAt: number;
  submittedAt: number | null;
  doneAt: number | null;
  /** The time it is to go at (scheduled sending); null: at once. */
  sendAt?: number | null;
  possibleDuplicate?: boolean;
}

export interface Callback {
  id: number;
  orderKey: string;
  kind: string;
  url: string;
  state: string;
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  attemptLog?: { at: number; attempt: number; status: number | null; error: string | null }[];
}

export interface MessageDetail {
  message: Message;
  parts: {
    partNo: number;
    partsTotal: number;
    connectorId: string;
    carrierId: string | null;
    status: string;
    carrierStatus: string | null;
    carrierError: string | null;
    submittedAt: number | null;
    doneAt: number | null;
  }[];
  events: {
    at: number;
    kind: string;
    part?: number;
    status?: string;
    carrierId?: string;
    carrierStatus?: string;
    carrierError?: string;
    errorCode?: string;
    errorText?: string;
    attempt?: number;
    nextAttemptAt?: number;
    sendAt?: number;
  }[];
  callbacks: Callback[];
}

export interface ActiveCall {
  callId: string;
  state: string;
  direction: string;
  source: string;
  callerId: string;
  destination: string;
  startTime: number;
  talkSeconds: number;
}

export interface Contact {
  id: string;
  displayName: string;
  phoneNumbers?: string[];
  [key: string]: unknown;
}
