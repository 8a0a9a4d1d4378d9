// COPY and MOVE within the user's own files: Destination, Overwrite and Depth, done by the data server without sending bytes.
import { isInside, parentPath } from '@mydropbox/shared';
import { DavError } from './davError';
import { checkPreconditions, type DavRequest } from './context';
import { destinationOf } from './davPaths';
import { PropertyLimitError } from './propertyStore';

async function assertPropertyRoom(dav: DavRequest, to: string, onlySelf: boolean): Promise<void> {
  try {
    await dav.props.assertRoomToCopy(dav.username, dav.path, to, onlySelf);
  } catch (err) {
    if (err instanceof PropertyLimitError) throw new DavError(507, `${err.message} Nothing was copied.`);
    throw err;
  }
}

export async function handleCopyMove(dav: DavRequest, op: 'copy' | 'move'): Promise<void> {
  const { ctx } = dav;
  if (dav.path === '') throw new DavError(403, 'The top folder cannot be copied or moved.');
  const to = destinationOf(ctx.req, dav.username);
  if (to === '') throw new DavError(403, 'Nothing can be copied or moved onto the top folder.');
  const overwriteHeader = (ctx.get('Overwrite') || 'T').toUpperCase();
  if (overwriteHeader !== 'T' && overwriteHeader !== 'F') throw new DavError(400, 'Overwrite must be T or F.');
  const depthHeader = (ctx.get('Depth') || 'infinity').toLowerCase();
  if (depthHeader !== '0' && depthHeader !== 'infinity') throw new DavError(400, 'Depth must be 0 or infinity for COPY and MOVE.');

  const source = await dav.data.stat(dav.path);
  if (!source) throw new DavError(404, `There is no file or folder "${dav.path}".`);
  await checkPreconditions(dav, source);
  if (to === dav.path || (source.kind === 'folder' && isInside(to, dav.path))) {
    throw new DavError(403, 'The Destination is the source itself or inside it.');
  }
  if (op === 'move' && source.kind === 'folder' && depthHeader !== 'infinity')
    throw new DavError(400, 'A folder is moved with Depth: infinity.');

  const parent = parentPath(to);
  if (parent !== '' && (await dav.data.stat(parent))?.kind !== 'folder') {
    throw new DavError(409, `The folder "${parent}" does not exist; make it first.`);
  }
  const target = await dav.data.stat(to);
  if (target && overwriteHeader === 'F') throw new DavError(412, `"${to}" already exists and Overwrite is F.`);
  if (op === 'move') dav.locks.assertUnlocked(dav.username, dav.path, dav.ifHeader, true);
  dav.locks.assertUnlocked(dav.username, to, dav.ifHeader, true);

  if (op === 'copy') await assertPropertyRoom(dav, to, source.kind === 'folder' && depthHeader === '0');
  // Replacing something of the other kind (a file by a folder or back) means deleting it first.
  if (target && target.kind !== source.kind) {
    if (target.kind === 'folder') await dav.data.deleteFolder(to);
    else await dav.data.deleteFile(to);
  }
  if (source.kind === 'file') {
    await dav.data.transfer('file', op, { from: dav.path, to, overwrite: true });
  } else if (depthHeader === '0') {
    if (target) await dav.data.deleteFolder(to);
    await dav.data.makeFolder(to);
  } else {
    await dav.data.transfer('folder', op, { from: dav.path, to, overwrite: true });
  }
  if (op === 'move') {
    await dav.props.copyTree(dav.username, dav.path, to, { andRemove: true });
    dav.locks.removeWithin(dav.username, dav.path);
  } else {
    try {
      await dav.props.copyTree(dav.username, dav.path, to, { onlySelf: source.kind === 'folder' && depthHeader === '0' });
    } catch (err) {
      if (err instanceof PropertyLimitError) throw new DavError(507, `The copy was made without its properties: ${err.message}`);
      throw err;
    }
  }
  ctx.status = target ? 204 : 201;
}
