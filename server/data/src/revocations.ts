// Devices the router signed out: their access tokens are refused at once, not only when they expire.
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import { z } from 'zod';
import { MyDropboxError, type RevocationsRequest } from '@mydropbox/shared';
import { ACCESS_TOKEN_SECONDS, AccessTokenVerifier, bearerToken } from '@mydropbox/server-common';

// A token signed just before the revocation lives ACCESS_TOKEN_SECONDS more; a minute covers clock skew.
const REMEMBER_MS = (ACCESS_TOKEN_SECONDS + 60) * 1000;
const MAX_DEVICES_PER_CALL = 100_000;

const body = z.object({ deviceIds: z.array(z.number().int().positive()).max(MAX_DEVICES_PER_CALL) });

/**
 * The device ids (`did` in access tokens) signed out recently. The router sends them when a device
 * is revoked and again with every health poll, so a restarted data server knows them within one
 * poll; each is kept only as long as a token signed before its revocation can live.
 */
export class RevokedDevices {
  private readonly until = new Map<number, number>();
  /** Requests of a device that wait (change-feed long polls), ended when it is signed out. */
  private readonly waiting = new Map<number, Set<() => void>>();

  constructor(private readonly now: () => number = Date.now) {}

  add(deviceIds: readonly number[]): void {
    const t = this.now();
    for (const [id, until] of this.until) if (until <= t) this.until.delete(id);
    for (const id of deviceIds) {
      this.until.set(id, t + REMEMBER_MS);
      for (const end of this.waiting.get(id) ?? []) end();
    }
  }

  /** Calls `end` if `deviceId` is signed out before the returned function is called (a long poll then answers 401 at once). */
  whileWaiting(deviceId: number, end: () => void): () => void {
    const set = this.waiting.get(deviceId) ?? new Set<() => void>();
    this.waiting.set(deviceId, set);
    set.add(end);
    return () => {
      set.delete(end);
      if (set.size === 0 && this.waiting.get(deviceId) === set) this.waiting.delete(deviceId);
    };
  }

  has(deviceId: number): boolean {
    const until = this.until.get(deviceId);
    return until !== undefined && until > this.now();
  }

  get size(): number {
    return this.until.size;
  }
}

/** POST /revocations (outside /v1: a router-scope token naming no account) {deviceIds} -> 204. */
export function revocationsRouter(revoked: RevokedDevices, verifier: AccessTokenVerifier, serverId: number): Router {
  const router = new Router();
  router.post(
    '/revocations',
    async (ctx, next) => {
      const claims = verifier.verify(bearerToken(ctx), serverId);
      if (claims.scope !== 'router') throw new MyDropboxError('forbidden', 'Only the router may sign devices out.');
      await next();
    },
    koaBody({ jsonLimit: '2mb', text: false, urlencoded: false, multipart: false, jsonStrict: true }),
    async (ctx) => {
      const parsed = body.safeParse(ctx.request.body);
      if (!parsed.success) throw new MyDropboxError('invalid_request', 'Send {"deviceIds": [positive whole numbers]}.');
      const request: RevocationsRequest = parsed.data;
      revoked.add(request.deviceIds);
      ctx.status = 204;
    },
  );
  return router;
}
