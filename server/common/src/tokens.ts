// Short-lived access tokens: signed by the router with Ed25519, verified by data servers on their own.
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, KeyObject, randomBytes, createHash } from 'node:crypto';
import { MyDropboxError, AccessClaims } from '@mydropbox/shared';

export const ACCESS_TOKEN_SECONDS = 300;

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateSigningKeys(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export class AccessTokenSigner {
  private readonly key: KeyObject;
  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
  }

  sign(claims: Omit<AccessClaims, 'exp'>, ttlSeconds = ACCESS_TOKEN_SECONDS, nowMs = Date.now()): { token: string; expiresAt: number } {
    const exp = Math.floor(nowMs / 1000) + ttlSeconds;
    const payload = Buffer.from(JSON.stringify({ ...claims, exp })).toString('base64url');
    const signature = sign(null, Buffer.from(payload), this.key).toString('base64url');
    return { token: `${payload}.${signature}`, expiresAt: exp * 1000 };
  }
}

export class AccessTokenVerifier {
  private readonly key: KeyObject;
  constructor(publicKeyPem: string) {
    this.key = createPublicKey(publicKeyPem);
  }

  /** Returns the claims of a valid, unexpired token meant for `serverId`; throws otherwise. */
  verify(token: string, serverId: number, nowMs = Date.now()): AccessClaims {
    const parts = token.split('.');
    if (parts.length !== 2) throw new MyDropboxError('unauthorized', 'The access token is malformed; sign in again.');
    const [payload, signature] = parts;
    let ok = false;
    try {
      ok = verify(null, Buffer.from(payload), this.key, Buffer.from(signature, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) throw new MyDropboxError('unauthorized', 'The access token signature is not valid; sign in again.');
    let claims: AccessClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessClaims;
    } catch {
      throw new MyDropboxError('unauthorized', 'The access token is malformed; sign in again.');
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.sid !== 'number') {
      throw new MyDropboxError('unauthorized', 'The access token is malformed; sign in again.');
    }
    if (claims.exp * 1000 <= nowMs)
      throw new MyDropboxError('token_expired', 'The access token has expired; get a new one from the router.');
    if (claims.sid !== serverId) throw new MyDropboxError('forbidden', 'This access token is for another data server.');
    return claims;
  }
}

/** A long random secret (device tokens, app passwords, one-time codes), URL-safe. */
export function randomSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** Secrets with 256 bits of entropy need no slow hash; SHA-256 lets us look them up by hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
