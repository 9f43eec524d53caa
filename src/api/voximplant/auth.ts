/**
 * Who a Voximplant Management API request comes from, the two ways the
 * official clients authenticate (Voximplant's "Authorization" guide):
 * - `account_id` + `api_key` parameters: the key names the user; `account_id` must be present and, when
 *   the user has `voximplant.accountId` configured, equal to it;
 * - `Authorization: Bearer <JWT>` of a service account: RS256, the key pair's id in the header's `kid`,
 *   `iss` = the account id, `iat` and `exp` at most an hour apart (RFC 7519). Verified with `jose` against
 *   the public halves of the keys configured in `users[].voximplant.serviceAccountKeys`.
 * Failures are Voximplant's "Authorization failed", counted by the log-in guard like any other.
 */
import type * as Jose from 'jose';
import type { CryptoKey } from 'jose';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { UserDirectory } from '../http/auth.js';
import type { Params } from '../http/request-params.js';

export interface ServiceAccountKey {
  username: string;
  accountId: string;
  keyId: string;
  /** PEM, "-----BEGIN PUBLIC KEY-----" (SPKI). */
  publicKey: string;
}

/** Voximplant's limit: a token may live at most one hour (exp ≤ iat + 3600). */
const MAX_TOKEN_LIFETIME_S = 3600;
const CLOCK_TOLERANCE_S = 60;

/** jose, loaded with the first service-account key or bearer token (most nodes never see either; issue 18), then kept. */
let joseModule: Promise<typeof Jose> | null = null;
const jose = () => (joseModule ??= import('jose'));

export class VoximplantAuth {
  private readonly keys = new Map<string, ServiceAccountKey & { imported: Promise<CryptoKey> }>();

  constructor(
    private readonly users: UserDirectory,
    serviceAccountKeys: readonly ServiceAccountKey[],
  ) {
    for (const key of serviceAccountKeys) {
      const imported = jose().then(({ importSPKI }) => importSPKI(key.publicKey, 'RS256'));
      // The config checked that the key parses; should importing still fail, tokens signed with it fail, the node does not.
      imported.catch(() => undefined);
      this.keys.set(key.keyId, { ...key, imported });
    }
  }

  /** The username the request proves, or throws AUTH_FAILED / AUTH_LOCKED. */
  async authenticate(params: Params, authorization: string | undefined, source: string): Promise<string> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (bearer) return this.users.authenticateBy(source, () => this.verifyToken(bearer));
    const username = this.users.authenticateApiKey(params.get('api_key') ?? '', source);
    const accountId = (params.get('account_id') ?? '').trim();
    const expected = this.users.voximplantAccountIdOf(username);
    if (accountId === '' || (expected !== null && accountId !== expected)) {
      throw new AppError(ErrorCode.AUTH_FAILED, accountId === '' ? 'account_id is missing' : 'account_id does not match the api_key');
    }
    return username;
  }

  private async verifyToken(token: string): Promise<string | null> {
    const { decodeProtectedHeader, jwtVerify } = await jose();
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return null;
    }
    const key = kid ? this.keys.get(kid) : undefined;
    if (!key) return null;
    try {
      const { payload } = await jwtVerify(token, await key.imported, {
        algorithms: ['RS256'],
        requiredClaims: ['iat', 'exp', 'iss'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      // Voximplant's clients put the account id in `iss` as a number; compare its digits.
      if (String(payload.iss) !== key.accountId) return null;
      if (payload.exp! - payload.iat! > MAX_TOKEN_LIFETIME_S) return null;
      return key.username;
    } catch {
      return null;
    }
  }
}
