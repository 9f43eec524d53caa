/**
 * What IOVOX keeps with a message it accepted, in the message's `meta`:
 * written and read here only, so its keys are spelled once and its readers
 * get types, not strings. The SMS core stores `meta` and never looks inside.
 */

/** An SMS e-mail alert the sendSms rule asked for (the smsAlert* attributes of IOVOX's sendSms rule). */
export interface SmsAlertRequest {
  when: 'all' | 'failed';
  recipients: string[];
  /** null: the default template. */
  template: string | null;
  from: string | null;
  fromName: string | null;
  contactName: string;
}

export interface IovoxMessageMeta {
  /** callback_url_headers: extra headers for the delivery receipts. */
  callbackHeaders?: Record<string, string>;
  /** c2c_failover_link_id: the failover link whose call flow runs if the SMS fails or expires. */
  failoverLinkId?: string;
  /** The sendSms rule that sent it (call flows). */
  iovoxRule?: string;
  smsAlert?: SmsAlertRequest;
}

/** The meta to store: only the fields that are set (an empty header set is no header set). */
export function iovoxMetaToStore(fields: IovoxMessageMeta): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  if (fields.iovoxRule !== undefined) meta['iovoxRule'] = fields.iovoxRule;
  if (fields.callbackHeaders && Object.keys(fields.callbackHeaders).length > 0) meta['callbackHeaders'] = fields.callbackHeaders;
  if (fields.failoverLinkId !== undefined) meta['failoverLinkId'] = fields.failoverLinkId;
  if (fields.smsAlert) meta['smsAlert'] = fields.smsAlert;
  return meta;
}

/** What IOVOX stored with a message (fields of the wrong type, from another writer, are left out). */
export function iovoxMetaOf(message: { meta: Record<string, unknown> }): IovoxMessageMeta {
  const { meta } = message;
  const fields: IovoxMessageMeta = {};
  if (typeof meta['iovoxRule'] === 'string') fields.iovoxRule = meta['iovoxRule'];
  if (isStringRecord(meta['callbackHeaders'])) fields.callbackHeaders = meta['callbackHeaders'];
  if (typeof meta['failoverLinkId'] === 'string') fields.failoverLinkId = meta['failoverLinkId'];
  if (isSmsAlert(meta['smsAlert'])) fields.smsAlert = meta['smsAlert'];
  return fields;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

function isSmsAlert(value: unknown): value is SmsAlertRequest {
  if (typeof value !== 'object' || value === null) return false;
  const alert = value as Partial<SmsAlertRequest>;
  return (alert.when === 'all' || alert.when === 'failed') && Array.isArray(alert.recipients) && typeof alert.contactName === 'string';
}
