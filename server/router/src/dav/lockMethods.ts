// LOCK (new locks, refreshes, locks on unmapped URLs that make an empty file) and UNLOCK.
import { DavError } from './davError';
import { checkPreconditions, type DavRequest } from './context';
import { childElements, isDav } from './xmlParser';
import { readXml } from './xmlBody';
import { XML_HEAD, serializeContent } from './xmlWriter';
import { lockDiscoveryXml, lockTimeout } from './locks';
import { commitUpload } from './upload';

function lockAnswer(dav: DavRequest, xml: string): void {
  dav.ctx.type = 'application/xml; charset=utf-8';
  dav.ctx.body = `${XML_HEAD}<D:prop xmlns:D="DAV:">${xml}</D:prop>`;
}

export async function handleLock(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  const body = await readXml(ctx.req);
  const timeoutSeconds = lockTimeout(ctx.get('Timeout') || undefined);
  const entry = await dav.data.stat(dav.path);

  if (!body) {
    // A refresh: the If header names the lock.
    const token = [...(dav.ifHeader?.tokens ?? [])].find((t) => dav.locks.get(t));
    const lock = token ? dav.locks.get(token) : undefined;
    if (!lock || !dav.locks.covering(dav.username, dav.path).includes(lock)) {
      throw new DavError(
        412,
        'To refresh a lock, send its token in an If header on a resource it covers.',
        'lock-token-matches-request-uri',
      );
    }
    dav.locks.refresh(lock, timeoutSeconds);
    lockAnswer(dav, lockDiscoveryXml([lock]));
    return;
  }

  if (!isDav(body, 'lockinfo')) throw new DavError(400, 'A LOCK body must be a DAV:lockinfo element.');
  const parts = childElements(body);
  const scopeEl = parts.find((e) => isDav(e, 'lockscope'));
  const scopeName = scopeEl && childElements(scopeEl)[0]?.name;
  if (scopeName !== 'exclusive' && scopeName !== 'shared') throw new DavError(400, 'lockscope must be exclusive or shared.');
  const typeEl = parts.find((e) => isDav(e, 'locktype'));
  if (!typeEl || !childElements(typeEl).some((e) => isDav(e, 'write'))) throw new DavError(400, 'Only write locks exist.');
  const ownerEl = parts.find((e) => isDav(e, 'owner'));
  const ownerXml = ownerEl ? serializeContent(ownerEl) : '';
  // Kept in memory for the lock's life and sent back in every lockdiscovery: clients send a name or a URL.
  if (Buffer.byteLength(ownerXml) > dav.limits.lockOwnerBytes)
    throw new DavError(400, `The lock owner is longer than ${dav.limits.lockOwnerBytes} bytes; send a name or an address.`);
  const depthHeader = (ctx.get('Depth') || 'infinity').toLowerCase();
  if (depthHeader !== '0' && depthHeader !== 'infinity') throw new DavError(400, 'A lock has Depth 0 or infinity.');

  await checkPreconditions(dav, entry);
  if (!entry) {
    if (dav.path === '') throw new DavError(409, 'The top folder always exists.');
    const parent = dav.path.includes('/') ? dav.path.slice(0, dav.path.lastIndexOf('/')) : '';
    if (parent !== '' && (await dav.data.stat(parent))?.kind !== 'folder') {
      throw new DavError(409, `The folder "${parent}" does not exist; make it first.`);
    }
  }
  const lock = dav.locks.create({
    username: dav.username,
    root: dav.path,
    rootIsFolder: entry?.kind === 'folder',
    depth: depthHeader === '0' ? 0 : 'infinity',
    scope: scopeName,
    ownerXml,
    timeoutSeconds,
  });
  if (!entry) {
    // RFC 4918 7.3: locking an unmapped URL makes an empty resource there.
    try {
      await commitUpload(dav.data, dav.path, { blocks: [], size: 0 }, null);
      await dav.props.removeTree(dav.username, dav.path);
    } catch (err) {
      dav.locks.remove(lock.token);
      throw err;
    }
  }
  ctx.set('Lock-Token', `<${lock.token}>`);
  ctx.status = entry ? 200 : 201;
  lockAnswer(dav, lockDiscoveryXml([lock]));
}

export async function handleUnlock(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  const m = /^\s*<([^>]+)>\s*$/.exec(ctx.get('Lock-Token'));
  if (!m) throw new DavError(400, 'UNLOCK needs a Lock-Token header: <opaquelocktoken:…>.');
  const lock = dav.locks.get(m[1]);
  if (!lock || !dav.locks.covering(dav.username, dav.path).includes(lock)) {
    throw new DavError(409, 'That lock token does not lock this resource.', 'lock-token-matches-request-uri');
  }
  dav.locks.remove(lock.token);
  ctx.status = 204;
}
