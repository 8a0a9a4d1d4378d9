// What every WebDAV method handler gets: the signed-in user, the user path, the data server client, properties and locks.
import type { Context } from 'koa';
import type { TreeEntry } from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import type { DataClient } from './dataClient';
import type { PropertyStore } from './propertyStore';
import { LockManager, parseIfHeader, type IfHeader } from './locks';
import { DavError } from './davError';
import type { DavLimits } from './limits';
import { etagOf } from './liveProperties';

export interface DavRequest {
  ctx: Context;
  username: string;
  /** The normalised user path of the request URL ('' is the top folder). */
  path: string;
  data: DataClient;
  props: PropertyStore;
  locks: LockManager;
  ifHeader: IfHeader | undefined;
  log: Logger;
  limits: DavLimits;
}

export function readIfHeader(ctx: Context): IfHeader | undefined {
  return parseIfHeader(ctx.get('If') || undefined);
}

/**
 * Checks the conditional headers of a request against the resource as it is now: If (412 when no
 * list holds), If-Match and If-None-Match (412, or 304 for a GET's If-None-Match).
 */
export async function checkPreconditions(dav: DavRequest, entry: TreeEntry | undefined): Promise<void> {
  const { ctx } = dav;
  if (dav.ifHeader) {
    const known = new Map<string, string | undefined>([[dav.path, entry && etagOf(entry)]]);
    for (const list of dav.ifHeader.lists) {
      if (list.resource !== undefined && !known.has(list.resource)) {
        const other = await dav.data.stat(list.resource);
        known.set(list.resource, other && etagOf(other));
      }
    }
    if (!dav.locks.evaluate(dav.ifHeader, dav.username, dav.path, (p) => known.get(p))) {
      throw new DavError(412, 'The If header does not match the resource as it is now.');
    }
  }
  const ifMatch = ctx.get('If-Match');
  if (ifMatch) {
    const etag = entry && etagOf(entry);
    const ok =
      ifMatch.trim() === '*'
        ? entry !== undefined
        : etag !== undefined &&
          ifMatch
            .split(',')
            .map((s) => s.trim())
            .includes(etag);
    if (!ok) throw new DavError(412, 'If-Match does not match the resource as it is now.');
  }
  const ifNoneMatch = ctx.get('If-None-Match');
  if (ifNoneMatch && entry) {
    const etag = etagOf(entry);
    const hit =
      ifNoneMatch.trim() === '*' ||
      (etag !== undefined &&
        ifNoneMatch
          .split(',')
          .map((s) => s.trim())
          .includes(etag));
    if (hit) {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') throw new DavError(304, 'Not modified.');
      throw new DavError(412, 'If-None-Match: the resource already exists in that version.');
    }
  }
}
