/** Every OzML verb by lower-case tag name: the parser and the interpreter look verbs up here, never in a switch. */
import type { AnyVerb } from '../script.js';
import { array } from './array.js';
import { attendedTransfer } from './attended-transfer.js';
import { beep } from './beep.js';
import { blindTransfer } from './blind-transfer.js';
import { call } from './call.js';
import { callSetup } from './call-setup.js';
import { delay } from './delay.js';
import { deleteFile } from './delete-file.js';
import { exit } from './exit.js';
import { forEach } from './for-each.js';
import { forward } from './forward.js';
import { goTo } from './go-to.js';
import { hangup } from './hangup.js';
import { hold } from './hold.js';
import { moveFile } from './move-file.js';
import { play } from './play.js';
import { record } from './record.js';
import { reject } from './reject.js';
import { request } from './request.js';
import { sendDtmf } from './send-dtmf.js';
import { sendEmail } from './send-email.js';
import { sendSms } from './send-sms.js';
import { speak } from './speak.js';
import { unhold } from './unhold.js';
import { userInput } from './user-input.js';
import { variable } from './var.js';
import { waitForMsg } from './wait-for-msg.js';

const ALL: AnyVerb[] = [
  speak,
  play,
  delay,
  beep,
  sendSms,
  sendEmail,
  hangup,
  reject,
  userInput,
  goTo,
  record,
  sendDtmf,
  variable,
  array,
  forEach,
  blindTransfer,
  attendedTransfer,
  forward,
  call,
  callSetup,
  request,
  exit,
  moveFile,
  deleteFile,
  waitForMsg,
  hold,
  unhold,
];

export const VERBS: ReadonlyMap<string, AnyVerb> = new Map([
  ...ALL.map((v) => [v.name.toLowerCase(), v] as const),
  // Ozeki 10's name for Forward.
  ['forwardcall', forward],
  // The name Ozeki's command list pairs with WaitForMsg.
  ['receivemessage', waitForMsg],
  // The SMS-gateway spelling of SendSms (Originator, Recipient, MessageData).
  ['sendmessage', sendSms],
]);
