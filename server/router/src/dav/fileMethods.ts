// GET/HEAD, PUT, DELETE and MKCOL: reading and writing files and folders through the data server's commit path.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { MyDropboxError, baseName, parentPath } from '@mydropbox/shared';
import { passByteRangeHeaders, setUserContentHeaders } from '@mydropbox/server-common';
import { DavError } from './davError';
import { checkPreconditions, type DavRequest } from './context';
import { contentTypeOf } from './liveProperties';
import { hrefOf } from './davPaths';
import { escapeXml } from './xmlWriter';
import { hasBody } from './xmlBody';
import { commitUpload, sendBlocks } from './upload';

export async function handleGet(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  const listing = await dav.data.entries(dav.path, 1);
  if (!listing) throw new DavError(404, `There is no file or folder "${dav.path}".`);
  await checkPreconditions(dav, listing.entry);
  if (listing.entry.kind === 'folder') {
    // Browsers opening /dav/ get a plain list; WebDAV clients use PROPFIND.
    const rows = listing.children
      .map(
        (c) =>
          `<li><a href="${escapeXml(hrefOf(c.path, c.kind === 'folder'))}">${escapeXml(baseName(c.path))}${c.kind === 'folder' ? '/' : ''}</a></li>`,
      )
      .join('');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html><meta charset="utf-8"><title>MyDropbox</title><ul>${rows}</ul>`;
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of ['range', 'if-range']) {
    const value = ctx.get(name);
    if (value) headers[name] = value;
  }
  let res: Response;
  try {
    res = await dav.data.download(dav.path, headers);
  } catch (err) {
    if (MyDropboxError.is(err, 'range_not_satisfiable')) ctx.set('Content-Range', `bytes */${listing.entry.size}`);
    throw err;
  }
  const head = ctx.method === 'HEAD' || !res.body;
  if (head) {
    await res.body?.cancel();
    // An empty string body keeps the status; Koa sends no body for HEAD.
    ctx.body = '';
  } else {
    ctx.body = Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>);
  }
  ctx.status = res.status;
  passByteRangeHeaders(ctx, (name) => res.headers.get(name));
  // A browser opening /dav/page.html must download it, never run it with the site's cookies.
  setUserContentHeaders(ctx, { filename: dav.path, contentType: contentTypeOf(dav.path) });
}

/** Parent must be an existing folder: 409 otherwise (RFC 4918: "intermediate collections" are not made). */
async function assertParentFolder(dav: DavRequest, path: string): Promise<void> {
  const parent = parentPath(path);
  if (parent === '') return;
  const entry = await dav.data.stat(parent);
  if (entry?.kind !== 'folder') throw new DavError(409, `The folder "${parent}" does not exist; make it first.`);
}

export async function handlePut(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  if (dav.path === '') throw new DavError(405, 'The top folder cannot be replaced by a file.');
  if (ctx.get('Content-Range')) throw new DavError(400, 'Partial PUT (Content-Range) is not supported; send the whole file.');
  const current = await dav.data.stat(dav.path);
  if (current?.kind === 'folder') throw new DavError(405, `"${dav.path}" is a folder; a file cannot replace it.`);
  await checkPreconditions(dav, current);
  dav.locks.assertUnlocked(dav.username, dav.path, dav.ifHeader);
  await assertParentFolder(dav, dav.path);
  const declared = ctx.get('Content-Length');
  if (declared && /^\d+$/.test(declared)) {
    // Refuse before reading a byte when the size is known and cannot fit.
    const usage = await dav.data.usage();
    if (usage.usedBytes - (current?.size ?? 0) + Number(declared) > usage.quotaBytes) {
      ctx.req.resume();
      throw new MyDropboxError(
        'quota_exceeded',
        `Quota exceeded: this file needs ${declared} bytes and ${usage.quotaBytes - usage.usedBytes} are free; delete files to free space.`,
      );
    }
  }
  const upload = await sendBlocks(dav.data, ctx.req as AsyncIterable<Buffer>);
  const entry = await commitUpload(dav.data, dav.path, upload, current?.rev ?? null);
  // A new resource starts without the dead properties a file deleted elsewhere may have left.
  if (!current) await dav.props.removeTree(dav.username, dav.path);
  ctx.set('ETag', `"${entry.contentHash}"`);
  ctx.status = current ? 204 : 201;
}

export async function handleDelete(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  if (dav.path === '') throw new DavError(403, 'The top folder cannot be deleted.');
  const entry = await dav.data.stat(dav.path);
  if (!entry) throw new DavError(404, `There is no file or folder "${dav.path}".`);
  await checkPreconditions(dav, entry);
  dav.locks.assertUnlocked(dav.username, dav.path, dav.ifHeader, entry.kind === 'folder');
  if (entry.kind === 'folder') await dav.data.deleteFolder(dav.path);
  else await dav.data.deleteFile(dav.path);
  await dav.props.removeTree(dav.username, dav.path);
  dav.locks.removeWithin(dav.username, dav.path);
  ctx.status = 204;
}

export async function handleMkcol(dav: DavRequest): Promise<void> {
  const { ctx } = dav;
  if (hasBody(ctx.req)) {
    ctx.req.resume();
    throw new DavError(415, 'MKCOL with a body is not supported; send MKCOL without one.');
  }
  if (dav.path === '') throw new DavError(405, 'The top folder already exists.');
  const current = await dav.data.stat(dav.path);
  if (current) throw new DavError(405, `"${dav.path}" already exists.`);
  await checkPreconditions(dav, undefined);
  dav.locks.assertUnlocked(dav.username, dav.path, dav.ifHeader);
  await assertParentFolder(dav, dav.path);
  await dav.data.makeFolder(dav.path);
  await dav.props.removeTree(dav.username, dav.path);
  ctx.status = 201;
}
