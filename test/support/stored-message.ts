/** A message as the outbox stores it on acceptance, with the fields a test cares about overridden. */
import { MessageStatus } from '../../src/sms/message.js';
import type { MessagePart, StoredMessage } from '../../src/sms/message.js';

export function storedMessage(overrides: Partial<StoredMessage> & Pick<StoredMessage, 'id'>): StoredMessage {
  return {
    user: 'u',
    dialect: 'ozeki',
    sender: '+3610000000',
    recipient: '+3620000000',
    text: 'hello',
    status: MessageStatus.Accepted,
    partsEstimate: 1,
    encoding: 'gsm7',
    concatRef: 1,
    callbackUrl: null,
    meta: {},
    connectorId: null,
    attempts: 0,
    nextAttemptAt: 0,
    errorCode: null,
    errorText: null,
    carrierStatus: null,
    carrierError: null,
    createdAt: 1,
    updatedAt: 1,
    submittedAt: null,
    doneAt: null,
    expiresAt: null,
    ...overrides,
  };
}

/** The first of a one-part message's parts as stored after its submit result, with the fields a test cares about overridden. */
export function storedPart(overrides: Partial<MessagePart> & Pick<MessagePart, 'messageId'>): MessagePart {
  return {
    partNo: 1,
    partsTotal: 1,
    connectorId: 'c',
    carrierId: 'AB12',
    status: MessageStatus.Submitted,
    carrierStatus: null,
    carrierError: null,
    submittedAt: 10,
    doneAt: null,
    ...overrides,
  };
}
