// WebDAV class 2 locks: exclusive and shared write locks with timeouts, and the If header that carries their tokens.
import { randomUUID } from 'node:crypto';
import { isInside } from '@mydropbox/shared';
import { DavError } from './davError';
import { escapeXml, propTag } from './xmlWriter';
import { hrefOf, rawPathOf, userPathOf } from './davPaths';
import { DEFAULT_DAV_LIMITS, type DavLimits } from './limits';

export interface Lock {
  token: string;
  username: string;
  root: string;
  rootIsFolder: boolean;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The client's <D:owner> content, sent back as is. */
  ownerXml: string;
  timeoutSeconds: number;
  expiresAt: number;
}

export const MAX_LOCK_SECONDS = 3600;

/** One condition list of an If header: all conditions must hold for the list to match. */
interface IfList {
  /** The tagged resource (a user path), or undefined for the request's own resource. */
  resource?: string;
  /** A condition with neither token nor etag is one cut off by the client, and never holds. */
  conditions: { not: boolean; token?: string; etag?: string }[];
}

export interface IfHeader {
  lists: IfList[];
  /** Every lock token named without Not: what the client "submits" (RFC 4918 section 10.4.1). */
  tokens: Set<string>;
}

/**
 * Parses `If: (<token> ["etag"]) (Not <token>)` and the tagged form `<url> (…)`. Tags may be full
 * URLs or paths; only their path under /dav/ is used.
 */
export function parseIfHeader(value: string | undefined): IfHeader | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const lists: IfList[] = [];
  const tokens = new Set<string>();
  let resource: string | undefined;
  let i = 0;
  const bad = () => new DavError(400, 'The If header is malformed.');
  while (i < value.length) {
    const c = value[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '<') {
      const end = value.indexOf('>', i);
      if (end < 0) throw bad();
      const tag = value.slice(i + 1, end);
      let path: string;
      try {
        path = rawPathOf(new URL(tag, 'http://localhost').pathname);
      } catch {
        throw bad();
      }
      resource = userPathOf(path);
      i = end + 1;
    } else if (c === '(') {
      // neon (litmus, davfs2) cuts If headers at 256 bytes, and a SHA-256 ETag makes them longer: an
      // unclosed last list is read up to the cut, and the condition cut in half never holds.
      const closing = value.indexOf(')', i);
      const end = closing < 0 ? value.length : closing;
      const body = value.slice(i + 1, end);
      const conditions: IfList['conditions'] = [];
      const re = /\s*(Not\s+)?(?:<([^>]*)>|\[(W\/)?"([^"]*)"\])/gy;
      let m: RegExpExecArray | null;
      let consumed = 0;
      while ((m = re.exec(body))) {
        const not = Boolean(m[1]);
        if (m[2] !== undefined) {
          conditions.push({ not, token: m[2] });
          if (!not) tokens.add(m[2]);
        } else {
          conditions.push({ not, etag: `${m[3] ?? ''}"${m[4]}"` });
        }
        consumed = re.lastIndex;
      }
      const rest = body.slice(consumed).trim();
      if (rest !== '') {
        if (closing >= 0) throw bad();
        conditions.push({ not: false });
      }
      if (conditions.length === 0) throw bad();
      lists.push({ resource, conditions });
      i = end + 1;
    } else {
      throw bad();
    }
  }
  if (lists.length === 0) throw bad();
  return { lists, tokens };
}

export class LockManager {
  private readonly byToken = new Map<string, Lock>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: Pick<DavLimits, 'locksPerAccount' | 'locksInTotal'> = DEFAULT_DAV_LIMITS,
  ) {}

  private live(username: string): Lock[] {
    const t = this.now();
    const out: Lock[] = [];
    for (const lock of this.byToken.values()) {
      if (lock.expiresAt <= t) this.byToken.delete(lock.token);
      else if (lock.username === username) out.push(lock);
    }
    return out;
  }

  /** Locks whose scope includes `path`: on it, or on a folder above it with depth infinity. */
  covering(username: string, path: string): Lock[] {
    return this.live(username).filter((l) => l.root === path || (l.depth === 'infinity' && isInside(path, l.root)));
  }

  /** Locks on `path` or anywhere below it. */
  within(username: string, path: string): Lock[] {
    return this.live(username).filter((l) => l.root === path || isInside(l.root, path));
  }

  get(token: string): Lock | undefined {
    const lock = this.byToken.get(token);
    return lock && lock.expiresAt > this.now() ? lock : undefined;
  }

  create(input: Omit<Lock, 'token' | 'expiresAt'>): Lock {
    const existing = [
      ...this.covering(input.username, input.root),
      ...(input.depth === 'infinity' ? this.within(input.username, input.root) : []),
    ];
    if (existing.some((l) => l.scope === 'exclusive') || (existing.length > 0 && input.scope === 'exclusive')) {
      throw new DavError(423, 'The resource is locked by another lock.', 'no-conflicting-lock');
    }
    if (this.live(input.username).length >= this.limits.locksPerAccount)
      throw new DavError(503, `Too many locks are held on this account (at most ${this.limits.locksPerAccount}); unlock some first.`);
    if (this.byToken.size >= this.limits.locksInTotal)
      throw new DavError(503, 'Too many locks are held on this server right now; try again later.');
    const lock: Lock = { ...input, token: `opaquelocktoken:${randomUUID()}`, expiresAt: this.now() + input.timeoutSeconds * 1000 };
    this.byToken.set(lock.token, lock);
    return lock;
  }

  refresh(lock: Lock, timeoutSeconds: number): Lock {
    lock.timeoutSeconds = timeoutSeconds;
    lock.expiresAt = this.now() + timeoutSeconds * 1000;
    return lock;
  }

  remove(token: string): void {
    this.byToken.delete(token);
  }

  /** Drops the locks on `path` and below (after a DELETE or at a MOVE's source). */
  removeWithin(username: string, path: string): void {
    for (const l of this.within(username, path)) this.byToken.delete(l.token);
  }

  /**
   * Refuses (423) a change to `path` — with `subtree`, to everything below it too — unless the If
   * header submits the token of each lock in the way.
   */
  assertUnlocked(username: string, path: string, ifHeader: IfHeader | undefined, subtree = false): void {
    const submitted = ifHeader?.tokens ?? new Set<string>();
    const blocking = [...this.covering(username, path), ...(subtree ? this.within(username, path) : [])];
    const missing = blocking.find((l) => !submitted.has(l.token));
    if (missing) {
      throw new DavError(
        423,
        `"${missing.root || '/'}" is locked; send its lock token in an If header to change it.`,
        'lock-token-submitted',
      );
    }
  }

  /** Whether the If header holds for `requestPath`, given each resource's current ETag. */
  evaluate(ifHeader: IfHeader, username: string, requestPath: string, etagOf: (path: string) => string | undefined): boolean {
    return ifHeader.lists.some((list) => {
      const path = list.resource ?? requestPath;
      return list.conditions.every((c) => {
        let holds: boolean;
        if (c.token !== undefined) holds = this.covering(username, path).some((l) => l.token === c.token);
        else if (c.etag !== undefined) holds = etagOf(path) === c.etag;
        else return false;
        return c.not ? !holds : holds;
      });
    });
  }
}

/** `Timeout: Second-600, Infinite` → seconds, capped. */
export function lockTimeout(header: string | undefined): number {
  if (!header) return MAX_LOCK_SECONDS;
  for (const part of header.split(',').map((p) => p.trim())) {
    if (/^infinite$/i.test(part)) return MAX_LOCK_SECONDS;
    const m = /^second-(\d{1,10})$/i.exec(part);
    if (m) return Math.max(1, Math.min(MAX_LOCK_SECONDS, Number(m[1])));
  }
  return MAX_LOCK_SECONDS;
}

export function activeLockXml(lock: Lock): string {
  return (
    '<D:activelock>' +
    `<D:locktype><D:write/></D:locktype><D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth === 0 ? '0' : 'infinity'}</D:depth>` +
    (lock.ownerXml ? `<D:owner>${lock.ownerXml}</D:owner>` : '') +
    `<D:timeout>Second-${lock.timeoutSeconds}</D:timeout>` +
    `<D:locktoken><D:href>${escapeXml(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeXml(hrefOf(lock.root, lock.rootIsFolder))}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

export function lockDiscoveryXml(locks: Lock[]): string {
  return propTag('DAV:', 'lockdiscovery', locks.map(activeLockXml).join(''));
}

export const SUPPORTED_LOCK_XML = propTag(
  'DAV:',
  'supportedlock',
  ['exclusive', 'shared']
    .map((s) => `<D:lockentry><D:lockscope><D:${s}/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`)
    .join(''),
);
