// Reading a request body into memory with a byte limit, refusing (and draining) past it.
import type { Readable } from 'node:stream';
import type { MyDropboxError } from '@mydropbox/shared';

/** The body's chunks as they arrived (no copy), each also given to `onChunk`; `tooLarge()` is thrown past `limit` bytes. */
export async function readBodyChunks(
  body: Readable,
  limit: number,
  tooLarge: () => MyDropboxError,
  onChunk?: (chunk: Buffer) => void,
): Promise<{ chunks: Buffer[]; received: number }> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) {
      body.resume(); // drain, so the error reaches the client instead of a reset connection
      throw tooLarge();
    }
    onChunk?.(chunk);
    chunks.push(chunk);
  }
  return { chunks, received };
}

/** The whole body in one buffer, refused past `limit` bytes. */
export async function readBody(body: Readable, limit: number, tooLarge: () => MyDropboxError): Promise<Buffer> {
  const { chunks, received } = await readBodyChunks(body, limit, tooLarge);
  return Buffer.concat(chunks, received);
}
