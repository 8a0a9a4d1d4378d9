// Read-only share links: made by a signed-in person for a file or folder, opened by anyone holding the token.
import type { Knex } from 'knex';
import { MyDropboxError, baseName, isInside, normalizePath } from '@mydropbox/shared';
import { hashSecret, randomSecret } from '@mydropbox/server-common';
import {
  countShareDownload,
  findLiveShareLinkByHash,
  insertShareLink,
  listLiveShareLinks,
  revokeShareLink,
  type ShareLinkRecord,
} from '../stores/shareLinkStore';
import { hashPassword, passwordMatches, MAX_PASSWORD_LENGTH } from './credentials';
import type { FileGateway } from './files';
import type { Throttle } from './throttle';

export type ShareLink = Omit<ShareLinkRecord, 'passwordHash'> & { hasPassword: boolean; expired: boolean };

/** What opening a token finds. */
export type OpenedShare = { state: 'open'; link: ShareLinkRecord } | { state: 'expired' } | { state: 'unknown' };

export interface ShareLinkService {
  create(username: string, path: string, opts: { expiresInDays?: number; password?: string }): Promise<{ link: ShareLink; token: string }>;
  list(username: string): Promise<ShareLink[]>;
  revoke(username: string, id: number): Promise<void>;
  /** Revoked and unknown tokens are alike ('unknown'); an expired one says so. */
  open(token: string): Promise<OpenedShare>;
  /** Throws `rate_limited` while this address guessed wrong too often, `bad_credentials` for a wrong password. */
  checkPassword(link: ShareLinkRecord, password: string, clientAddress: string): Promise<void>;
  /**
   * The account path of `relative` ('' = the shared thing itself) inside the link; refuses anything
   * outside it. A file link has only its file.
   */
  resolve(link: ShareLinkRecord, relative: string): string;
  countDownload(link: ShareLinkRecord): Promise<void>;
}

export const MAX_SHARE_DAYS = 365;
// 256 random bits: unguessable, so opening a link needs no throttle; only passwords do.
const TOKEN_BYTES = 32;
export const SHARE_TOKEN_PREFIX = 'mdbs_';

export function createShareLinkService(deps: { db: Knex; files: FileGateway; throttle: Throttle; now: () => number }): ShareLinkService {
  const { db, files, throttle, now } = deps;
  const view = (r: ShareLinkRecord): ShareLink => {
    const { passwordHash, ...rest } = r;
    return { ...rest, hasPassword: passwordHash !== null, expired: r.expiresAt !== null && r.expiresAt <= now() };
  };

  return {
    async create(username, path, opts) {
      const p = normalizePath(path);
      const entry = await files.entry(username, p);
      if (!entry) throw new MyDropboxError('not_found', `There is no file or folder “${baseName(p)}” any more; reload the page.`);
      const days = opts.expiresInDays;
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_SHARE_DAYS)) {
        throw new MyDropboxError('invalid_request', `A link can expire in 1 to ${MAX_SHARE_DAYS} days, or never.`);
      }
      const password = opts.password ?? '';
      if (password.length > MAX_PASSWORD_LENGTH) {
        throw new MyDropboxError('invalid_request', `A link's password can be at most ${MAX_PASSWORD_LENGTH} characters.`);
      }
      const t = now();
      const token = randomSecret(SHARE_TOKEN_PREFIX, TOKEN_BYTES);
      const record = await insertShareLink(db, {
        username,
        tokenHash: hashSecret(token),
        path: p,
        kind: entry.kind,
        passwordHash: password ? await hashPassword(password) : null,
        now: t,
        expiresAt: days === undefined ? null : t + days * 86_400_000,
      });
      return { link: view(record), token };
    },
    async list(username) {
      return (await listLiveShareLinks(db, username)).map(view);
    },
    async revoke(username, id) {
      if (!(await revokeShareLink(db, username, id, now()))) {
        throw new MyDropboxError('not_found', 'There is no such shared link; it may have been revoked already.');
      }
    },
    async open(token) {
      if (typeof token !== 'string' || !token.startsWith(SHARE_TOKEN_PREFIX) || token.length > 100) return { state: 'unknown' };
      const link = await findLiveShareLinkByHash(db, hashSecret(token));
      if (!link) return { state: 'unknown' };
      if (link.expiresAt !== null && link.expiresAt <= now()) return { state: 'expired' };
      return { state: 'open', link };
    },
    async checkPassword(link, password, clientAddress) {
      await throttle.assertSharePasswordAllowed(link.id, clientAddress);
      if (link.passwordHash === null) return;
      if (await passwordMatches(link.passwordHash, password)) return;
      await throttle.recordSharePasswordFailure(link.id, clientAddress);
      throw new MyDropboxError('bad_credentials', 'That is not the password of this link.');
    },
    resolve(link, relative) {
      if (relative === '') return link.path;
      if (link.kind === 'file') throw new MyDropboxError('not_found', 'This link shares one file only.');
      const path = normalizePath(`${link.path}/${relative}`);
      if (!isInside(path, link.path)) throw new MyDropboxError('not_found', 'That is not part of what this link shares.');
      return path;
    },
    async countDownload(link) {
      await countShareDownload(db, link.id);
    },
  };
}
