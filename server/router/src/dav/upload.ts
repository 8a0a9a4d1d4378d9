// A PUT body streamed into 4 MiB blocks: each hashed, sent only if the data server lacks it, then one commit.
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, BlockSplitter, MyDropboxError, type FileEntry } from '@mydropbox/shared';
import type { DataClient } from './dataClient';

/**
 * Reads `body` once, holding at most two blocks: the one being filled and the one in flight. The
 * returned block list and size are what was received, so the commit is verified end to end.
 */
export async function sendBlocks(data: DataClient, body: AsyncIterable<Buffer>): Promise<{ blocks: string[]; size: number }> {
  const blocks: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let block = Buffer.allocUnsafe(BLOCK_SIZE);
  let fill = 0;

  const ship = async (bytes: Buffer): Promise<void> => {
    const hash = createHash('sha256').update(bytes).digest('hex');
    blocks.push(hash);
    await inFlight;
    inFlight = (async () => {
      const missing = await data.missing([hash]);
      if (missing.length) await data.putBlock(hash, bytes);
    })();
    // Keep the rejection observed until the next await of inFlight.
    inFlight.catch(() => undefined);
  };

  const splitter = new BlockSplitter(
    (bytes) => {
      block.set(bytes, fill);
      fill += bytes.length;
    },
    async () => {
      const whole = block.subarray(0, fill);
      block = Buffer.allocUnsafe(BLOCK_SIZE);
      fill = 0;
      await ship(whole);
    },
  );
  for await (const chunk of body) await splitter.push(chunk);
  await splitter.finish();
  await inFlight;
  return { blocks, size: splitter.size };
}

/**
 * Commits the received blocks at `path`. WebDAV has no base revision, so a commit that lost a race
 * with another client is retried on top of the newer version: the last writer wins, as on a disk.
 */
export async function commitUpload(
  data: DataClient,
  path: string,
  upload: { blocks: string[]; size: number },
  baseRev: number | null,
): Promise<FileEntry> {
  let base = baseRev;
  for (let attempt = 0; ; attempt++) {
    try {
      return await data.commit({ path, size: upload.size, blocks: upload.blocks, baseRev: base, modifiedAt: Date.now() });
    } catch (err) {
      if (!MyDropboxError.is(err, 'conflict') || attempt >= 2) throw err;
      const now = await data.stat(path);
      if (now?.kind === 'folder') throw err;
      base = now?.rev ?? null;
    }
  }
}
