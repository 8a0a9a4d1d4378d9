// Turning query strings and JSON bodies into checked values; every failure is a 400 that names the field.
import { z } from 'zod';
import { COMMIT_BATCH_MAX, MyDropboxError, blockCount, isBlockHash, normalizePath } from '@mydropbox/shared';

export const blockHash = z.string().refine(isBlockHash, 'must be 64 lowercase hex characters (a SHA-256)');
export const userPath = z.string().transform((value, ctx) => {
  try {
    return normalizePath(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const revision = z.number().int().min(1);

/** A commit's blocks must cover its size exactly: a size the blocks do not make up would be charged and listed but never stored. */
const coversSize = (c: { size: number; blocks: readonly string[] }) => c.blocks.length === blockCount(c.size);
const coversSizeMessage = {
  message: 'the blocks do not make up the size (a file has one hash per 4 MiB block, the last one shorter)',
  path: ['blocks'],
};

export const commitBody = z
  .object({
    path: userPath,
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    blocks: z.array(blockHash).max(1_000_000),
    baseRev: revision.nullable(),
    modifiedAt: z.number().int().min(0).optional(),
    executable: z.boolean().optional(),
  })
  .refine(coversSize, coversSizeMessage);

/** An upload session's id: 32 lowercase hex characters. */
export const uploadId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (an upload id)');

/** A single commit may finish an upload session; a batch never does (its files are small). */
export const commitWithUploadBody = commitBody.safeExtend({ uploadId: uploadId.optional() }).refine(coversSize, coversSizeMessage);

export const commitBatchBody = z.object({ commits: z.array(commitBody).min(1).max(COMMIT_BATCH_MAX) });

export const openUploadBody = z.object({
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  blocks: z.array(blockHash).min(1).max(1_000_000),
});

export const copyBody = z.object({
  from: userPath,
  to: userPath,
  baseRev: revision.optional(),
  overwrite: z.boolean().optional(),
});

export const missingBody = z.object({ hashes: z.array(blockHash).max(100_000) });

/**
 * Validates a body; a bad path field answers `invalid_path` (the code sync clients act on), anything else
 * `invalid_request`. The router's parseBodyOrEmpty differs: it reads a missing body as `{}` and tells a person what to send.
 */
export function parseBodyWithPathCode<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.') || 'body';
  const pathField = issue.path.length > 0 && ['path', 'from', 'to'].includes(String(issue.path[issue.path.length - 1]));
  throw new MyDropboxError(pathField && issue.code === 'custom' ? 'invalid_path' : 'invalid_request', `${field}: ${issue.message}`);
}

/** One query parameter as a string; repeated or missing parameters are refused. */
export function queryString(query: Record<string, string | string[] | undefined>, name: string): string {
  const value = query[name];
  if (typeof value !== 'string') throw new MyDropboxError('invalid_request', `Give exactly one "${name}" query parameter.`);
  return value;
}

export function queryPath(query: Record<string, string | string[] | undefined>): string {
  const value = query.path;
  if (typeof value !== 'string') throw new MyDropboxError('invalid_path', 'Give exactly one "path" query parameter.');
  return normalizePath(value);
}

/** An optional whole-number query parameter. */
export function queryInt(query: Record<string, string | string[] | undefined>, name: string, min: number): number | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,15}$/.test(value) || Number(value) < min) {
    throw new MyDropboxError('invalid_request', `"${name}" must be a whole number of at least ${min}.`);
  }
  return Number(value);
}
