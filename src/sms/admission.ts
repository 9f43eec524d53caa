/**
 * What every outbound message must pass before it is stored, whichever
 * dialect accepted it: its sender must have SMS switched on and its user must
 * have quota left. The outbox runs `screen` (the sender's switch, kept in
 * memory) and `precheck` (a read of the quota) before the accept transaction:
 * cheap refusals that keep a group-commit batch from rolling back; and `admit`
 * inside it (the authoritative quota check and the charge).
 */
import type { StoredMessage } from '../sms/message.js';
import type { NumberControl } from './number-control.js';
import type { QuotaGuard } from './quota.js';

export interface Admission {
  screen(message: StoredMessage): void;
  precheck(message: StoredMessage): Promise<void>;
  admit(message: StoredMessage): Promise<void>;
}

export function sendAdmission(numbers: NumberControl, quota: QuotaGuard): Admission {
  return {
    screen(message) {
      numbers.assertCanSend(message.sender);
    },
    async precheck(message) {
      await quota.check(message.user, message.partsEstimate, message.createdAt);
    },
    async admit(message) {
      await quota.charge(message.user, message.partsEstimate, message.createdAt);
    },
  };
}
