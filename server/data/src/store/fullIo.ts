// Positional reads and writes that finish the job: the OS may move fewer bytes than asked in one call.
import type { FileHandle } from 'node:fs/promises';

/** Reads up to `length` bytes at `position` into `buf`; returns how many there were (fewer only at the end of the file). */
export async function readFull(h: FileHandle, buf: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await h.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

export async function writeFull(h: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) done += (await h.write(data, done, data.length - done, position + done)).bytesWritten;
}
