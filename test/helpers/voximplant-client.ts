/** Calls telenode's Voximplant-style /platform_api the way a Voximplant integration does. */
export interface VoxReply {
  status: number;
  contentType: string;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields of Voximplant's JSON
  json: Record<string, any>;
}

async function toReply(response: Response): Promise<VoxReply> {
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, contentType, headers: response.headers, text, json: contentType.includes('json') ? JSON.parse(text) : {} };
}

export async function voxFetch(url: string, init?: RequestInit): Promise<VoxReply> {
  return toReply(await fetch(url, init));
}

/** The account id the test configs give their users (users[].voximplant.accountId). */
export const TEST_ACCOUNT_ID = '1001';

/** Real clients always send account_id with api_key (Voximplant's Management API): the helpers do too, unless a test names its own. */
function withAccount(params: Record<string, string>): Record<string, string> {
  return 'api_key' in params && !('account_id' in params) ? { account_id: TEST_ACCOUNT_ID, ...params } : params;
}

export async function voxGet(base: string, method: string, params: Record<string, string>): Promise<VoxReply> {
  return toReply(await fetch(`${base}/platform_api/${method}?${new URLSearchParams(withAccount(params)).toString()}`));
}

export async function voxPost(base: string, method: string, params: Record<string, string>, path = `/platform_api/${method}`): Promise<VoxReply> {
  return toReply(
    await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(withAccount(params)).toString(),
    }),
  );
}
