// PROPFIND (depth 0 and 1; allprop, propname, prop) and PROPPATCH (dead properties, all or nothing).
import type { TreeEntry } from '@mydropbox/shared';
import { DavError } from './davError';
import { checkPreconditions, type DavRequest } from './context';
import { hrefOf } from './davPaths';
import { childElements, isDav, type XmlElement } from './xmlParser';
import { readXml } from './xmlBody';
import { errorXml, multistatusXml, propTag, responseXml, serializeContent } from './xmlWriter';
import { LIVE_PROPERTIES, PROTECTED_PROPERTIES, QUOTA_PROPERTIES, liveProperty } from './liveProperties';
import { SUPPORTED_LOCK_XML, lockDiscoveryXml } from './locks';
import { PropertyLimitError, type DeadProperty, type PropertyChange } from './propertyStore';

type PropName = { ns: string; name: string };
type Request = { kind: 'allprop'; include: PropName[] } | { kind: 'propname' } | { kind: 'prop'; names: PropName[] };

function parsePropfind(root: XmlElement | undefined): Request {
  if (!root) return { kind: 'allprop', include: [] };
  if (!isDav(root, 'propfind')) throw new DavError(400, 'A PROPFIND body must be a DAV:propfind element.');
  const parts = childElements(root);
  const prop = parts.find((e) => isDav(e, 'prop'));
  if (prop) return { kind: 'prop', names: childElements(prop).map((e) => ({ ns: e.ns, name: e.name })) };
  if (parts.some((e) => isDav(e, 'propname'))) return { kind: 'propname' };
  if (parts.some((e) => isDav(e, 'allprop'))) {
    const include = parts.find((e) => isDav(e, 'include'));
    return { kind: 'allprop', include: include ? childElements(include).map((e) => ({ ns: e.ns, name: e.name })) : [] };
  }
  throw new DavError(400, 'A PROPFIND body names allprop, propname or prop.');
}

export async function handlePropfind(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  const depth = (ctx.get('Depth') || 'infinity').toLowerCase();
  if (depth !== '0' && depth !== '1') {
    if (depth !== 'infinity') throw new DavError(400, 'Depth must be 0, 1 or infinity.');
    ctx.req.resume();
    ctx.status = 403;
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = errorXml('propfind-finite-depth');
    return;
  }
  const request = parsePropfind(await readXml(ctx.req));
  const listing = await dav.data.entries(dav.path, depth === '1' ? 1 : 0);
  if (!listing) throw new DavError(404, `There is no file or folder "${dav.path}".`);
  const wantsQuota =
    request.kind === 'prop' && request.names.some((n) => n.ns === 'DAV:' && (QUOTA_PROPERTIES as readonly string[]).includes(n.name));
  const usage = wantsQuota ? await dav.data.usage() : undefined;
  const entries = [listing.entry, ...listing.children];
  const dead = await dav.props.listMany(
    dav.username,
    entries.map((e) => e.path),
  );
  const responses = entries.map((entry) => describe(dav, entry, request, dead.get(entry.path) ?? [], usage));
  ctx.status = 207;
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = multistatusXml(responses);
}

function describe(
  dav: DavRequest,
  entry: TreeEntry,
  request: Request,
  dead: DeadProperty[],
  usage?: { usedBytes: number; quotaBytes: number },
): string {
  const href = hrefOf(entry.path, entry.kind === 'folder');
  const live = (name: string): string | undefined => {
    if (name === 'lockdiscovery') return lockDiscoveryXml(dav.locks.covering(dav.username, entry.path));
    if (name === 'supportedlock') return SUPPORTED_LOCK_XML;
    if (name === 'quota-used-bytes' && usage) return propTag('DAV:', name, String(usage.usedBytes));
    if (name === 'quota-available-bytes' && usage) return propTag('DAV:', name, String(Math.max(0, usage.quotaBytes - usage.usedBytes)));
    return liveProperty(name, entry);
  };
  const liveNames = [...LIVE_PROPERTIES, 'lockdiscovery', 'supportedlock'].filter((n) => live(n) !== undefined);
  if (request.kind === 'propname') {
    const names = [...liveNames.map((n) => propTag('DAV:', n)), ...dead.map((p) => propTag(p.ns, p.name))];
    return responseXml(href, [{ status: 200, props: names }]);
  }
  const found: string[] = [];
  const missing: string[] = [];
  const wanted: PropName[] =
    request.kind === 'prop'
      ? request.names
      : [...liveNames.map((name) => ({ ns: 'DAV:', name })), ...dead.map((p) => ({ ns: p.ns, name: p.name })), ...request.include];
  const seen = new Set<string>();
  for (const { ns, name } of wanted) {
    const key = `${ns}\n${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const value = ns === 'DAV:' ? live(name) : undefined;
    const deadValue = dead.find((p) => p.ns === ns && p.name === name);
    if (value !== undefined) found.push(value);
    else if (deadValue) found.push(propTag(ns, name, deadValue.value));
    else missing.push(propTag(ns, name));
  }
  return responseXml(href, [
    { status: 200, props: found },
    { status: 404, props: missing },
  ]);
}

export async function handleProppatch(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  const root = await readXml(ctx.req);
  if (!root || !isDav(root, 'propertyupdate')) throw new DavError(400, 'A PROPPATCH body must be a DAV:propertyupdate element.');
  const entry = await dav.data.stat(dav.path);
  if (!entry) throw new DavError(404, `There is no file or folder "${dav.path}".`);
  await checkPreconditions(dav, entry);
  dav.locks.assertUnlocked(dav.username, dav.path, dav.ifHeader);
  const changes: PropertyChange[] = [];
  for (const op of childElements(root)) {
    const kind = isDav(op, 'set') ? 'set' : isDav(op, 'remove') ? 'remove' : undefined;
    if (!kind) throw new DavError(400, 'A propertyupdate holds only set and remove elements.');
    const prop = childElements(op).find((e) => isDav(e, 'prop'));
    if (!prop) throw new DavError(400, `A ${kind} element holds a DAV:prop element.`);
    for (const p of childElements(prop)) {
      changes.push(kind === 'set' ? { kind, ns: p.ns, name: p.name, value: serializeContent(p) } : { kind, ns: p.ns, name: p.name });
    }
  }
  const refused = changes.filter((c) => c.ns === 'DAV:' && PROTECTED_PROPERTIES.has(c.name));
  let tooMuch: string | undefined;
  if (refused.length === 0) {
    try {
      await dav.props.apply(dav.username, dav.path, changes);
    } catch (err) {
      if (!(err instanceof PropertyLimitError)) throw err;
      tooMuch = err.message;
    }
  }
  const tags = (list: PropertyChange[]) => list.map((c) => propTag(c.ns, c.name));
  const href = hrefOf(entry.path, entry.kind === 'folder');
  const sets = changes.filter((c) => c.kind === 'set');
  ctx.status = 207;
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = multistatusXml([
    responseXml(
      href,
      refused.length > 0
        ? [
            { status: 403, props: tags(refused) },
            { status: 424, props: tags(changes.filter((c) => !refused.includes(c))) },
          ]
        : tooMuch !== undefined
          ? [
              // RFC 4918 9.2.1: 507 for what could not be stored, 424 for the rest of the all-or-nothing update.
              { status: 507, props: tags(sets) },
              { status: 424, props: tags(changes.filter((c) => c.kind !== 'set')) },
            ]
          : [{ status: 200, props: tags(changes) }],
      undefined,
      tooMuch,
    ),
  ]);
}
