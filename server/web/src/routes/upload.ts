// Uploads from the files page: the browser hashes blocks, and these calls pass them on the sync protocol (missing, sessions, batches, commits).
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import { z } from 'zod';
import {
  BLOCK_BATCH_MAX_BYTES,
  BLOCK_SIZE,
  COMMIT_BATCH_MAX,
  MyDropboxError,
  blockCount,
  isBlockHash,
  normalizePath,
  type CommitRequest,
  type FileEntry,
} from '@mydropbox/shared';
import type { FileGateway } from '@mydropbox/router';
import type { WebContext, WebState } from '../state';
import type { RouteDeps } from '../app';
import { folderParam } from './files';
import { formatBytes } from '../formatting';

// A block list of a 100 GB file is about 1.7 MB of JSON; a check of a big folder upload lists many names.
const jsonBody = () => koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: '8mb', jsonStrict: true });

const hash = z.string().refine(isBlockHash, 'a block is named by its SHA-256 in 64 hex characters');
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const checkBody = z.object({
  dir: z.string().max(4096).optional(),
  files: z
    .array(z.object({ path: z.string().max(8192), size }))
    .min(1)
    .max(100_000),
});
const openBody = z.object({
  path: z.string(),
  size,
  blocks: z.array(hash),
  /** The session a page that was reloaded or cut off had open: kept instead of a new one (a gone one fails at its next block). */
  resume: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
const missingBody = z.object({ hashes: z.array(hash).min(1).max(10_000) });
const foldersBody = z.object({ dir: z.string().max(4096).optional(), paths: z.array(z.string().max(8192)).min(1).max(10_000) });
const commitBody = z.object({
  path: z.string(),
  size,
  blocks: z.array(hash),
  baseRev: z.number().int().min(0).nullable(),
  modifiedAt: z.number().int().min(0).optional(),
  uploadId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
const commitBatchBody = z.object({ commits: z.array(commitBody).min(1).max(COMMIT_BATCH_MAX) });

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MyDropboxError('invalid_request', `The upload request is not valid (${issue?.path.join('.') || 'body'}: ${issue?.message}).`);
  }
  return result.data;
}

/** The file's place, and its block list checked against its size. */
function checkedFile(path: string, fileSize: number, blocks: string[]): string {
  const p = normalizePath(path);
  if (blocks.length !== blockCount(fileSize)) {
    throw new MyDropboxError('invalid_request', `A ${fileSize}-byte file has ${blockCount(fileSize)} blocks, not ${blocks.length}.`);
  }
  return p;
}

function quotaProblem(path: string, fileSize: number, used: number, quota: number): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return `“${name}” (${formatBytes(fileSize)}) does not fit: ${formatBytes(used)} of your ${formatBytes(quota)} would be used before it. Delete files you no longer need, or upload fewer.`;
}

function declaredLength(ctx: WebContext, max: number): number {
  const value = ctx.get('Content-Length');
  if (!/^[0-9]+$/.test(value)) throw new MyDropboxError('invalid_request', 'Send the block with its Content-Length.');
  const length = Number(value);
  if (length > max) throw new MyDropboxError('payload_too_large', `At most ${max} bytes go in one request.`);
  return length;
}

/**
 * A website upload replaces what is there, as a file manager does; the replaced content is kept
 * as a version by the data server. A commit that lost a race to another device is made again on
 * top of the newer content (the person chose this file last).
 */
async function commitReplacing(files: FileGateway, username: string, req: CommitRequest): Promise<FileEntry> {
  let base = req.baseRev;
  for (let attempt = 0; ; attempt++) {
    try {
      return await files.commit(username, { ...req, baseRev: base });
    } catch (err) {
      if (!MyDropboxError.is(err, 'conflict') || attempt >= 2) throw err;
      const now = await files.entry(username, req.path);
      if (now?.kind === 'folder') throw new MyDropboxError('conflict', `There is a folder named “${req.path}”; rename one of them.`);
      base = now?.rev ?? null;
    }
  }
}

export function uploadRoutes({ services }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  const files = services.files;
  const user = (ctx: WebContext) => {
    if (!ctx.state.user) throw new MyDropboxError('unauthorized', 'You were logged out; log in again and the upload goes on.');
    return ctx.state.user.username;
  };

  // Before any bytes: every name checked, what exists already, and whether it all fits the quota.
  router.post('/files/upload/check', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const body = parse(checkBody, ctx.request.body);
    const dir = folderParam(body.dir);
    const [tree, usage] = await Promise.all([files.tree(username), files.usage(username)]);
    const existing = new Map(tree.files.map((f) => [f.path, f]));
    const folders = new Set(tree.folders.map((f) => f.path));
    let after = usage.usedBytes;
    const results = body.files.map((f) => {
      let path: string;
      try {
        path = normalizePath(dir === '' ? f.path : `${dir}/${f.path}`);
      } catch (err) {
        return { path: f.path, problem: err instanceof MyDropboxError ? err.message : 'This name cannot be stored.' };
      }
      if (folders.has(path)) return { path, problem: `There is a folder named “${path}”; rename one of them first.` };
      const replaced = existing.get(path);
      const grows = f.size - (replaced?.size ?? 0);
      if (after + grows > usage.quotaBytes) return { path, problem: quotaProblem(path, f.size, after, usage.quotaBytes) };
      after += grows;
      return { path, rev: replaced?.rev ?? null };
    });
    ctx.body = { files: results, usedBytes: usage.usedBytes, quotaBytes: usage.quotaBytes };
  });

  // Which blocks the account lacks (by index), the revision being replaced, and a session for big files.
  router.post('/files/upload/open', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const body = parse(openBody, ctx.request.body);
    const path = checkedFile(body.path, body.size, body.blocks);
    const [entry, missingHashes] = await Promise.all([
      files.entry(username, path),
      body.blocks.length ? files.missingBlocks(username, [...new Set(body.blocks)]) : Promise.resolve([]),
    ]);
    if (entry?.kind === 'folder') throw new MyDropboxError('conflict', `There is a folder named “${path}”; rename one of them first.`);
    const lacking = new Set(missingHashes);
    const missing: number[] = [];
    body.blocks.forEach((h, i) => {
      if (lacking.delete(h)) missing.push(i);
    });
    const wantsSession = missing.length > 0 && body.blocks.length > 1;
    const uploadId = wantsSession ? (body.resume ?? (await files.openUpload(username, body.size, body.blocks))) : undefined;
    ctx.body = { path, baseRev: entry?.rev ?? null, missing, uploadId };
  });

  router.post('/files/upload/missing', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const { hashes } = parse(missingBody, ctx.request.body);
    ctx.body = { missing: await files.missingBlocks(username, [...new Set(hashes)]) };
  });

  // Folders that came with an upload (a dropped folder tree), so empty ones exist too.
  router.post('/files/upload/folders', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const body = parse(foldersBody, ctx.request.body);
    const dir = folderParam(body.dir);
    for (const p of body.paths) await files.makeFolder(username, normalizePath(dir === '' ? p : `${dir}/${p}`));
    ctx.status = 204;
  });

  router.put('/files/upload/sessions/:id/blocks/:index', async (ctx) => {
    const username = user(ctx);
    const id = ctx.params.id ?? '';
    const index = ctx.params.index ?? '';
    if (!/^[0-9a-f]{32}$/.test(id) || !/^[0-9]{1,9}$/.test(index)) throw new MyDropboxError('invalid_request', 'No such upload block.');
    await files.sendUploadBlock(username, id, Number(index), ctx.req, declaredLength(ctx, BLOCK_SIZE));
    ctx.status = 204;
  });

  // Small files' blocks, many in one body (the data server's batch framing).
  router.post('/files/upload/blocks', async (ctx) => {
    const username = user(ctx);
    await files.sendBlockBatch(username, ctx.req, declaredLength(ctx, BLOCK_BATCH_MAX_BYTES));
    ctx.status = 204;
  });

  router.post('/files/upload/commit', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const body = parse(commitBody, ctx.request.body);
    const path = checkedFile(body.path, body.size, body.blocks);
    ctx.body = await commitReplacing(files, username, { ...body, path, modifiedAt: body.modifiedAt ?? Date.now() });
  });

  router.post('/files/upload/commit-batch', jsonBody(), async (ctx) => {
    const username = user(ctx);
    const { commits } = parse(commitBatchBody, ctx.request.body);
    const checked = commits.map((c) => ({ ...c, path: checkedFile(c.path, c.size, c.blocks), modifiedAt: c.modifiedAt ?? Date.now() }));
    const results = await files.commitBatch(username, checked);
    // A conflict in the batch (someone changed the file meanwhile) is made again on top, one by one.
    ctx.body = {
      results: await Promise.all(
        results.map(async (r, i) => {
          if (!('error' in r) || r.error.code !== 'conflict') return r;
          try {
            return { file: await commitReplacing(files, username, checked[i]!) };
          } catch (err) {
            if (err instanceof MyDropboxError) return err.toBody();
            throw err;
          }
        }),
      ),
    };
  });

  return router;
}
