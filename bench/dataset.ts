// The bench's own data: many small files in folders, one big file, and the one-byte edit of it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomFillSync } from 'node:crypto';

/** `count` files of `size` random bytes, spread over `folders` folders. */
export function makeSmallFiles(dir: string, count: number, size: number, folders: number): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (let f = 0; f < folders; f++) fs.mkdirSync(path.join(dir, `folder${f}`), { recursive: true });
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < count; i++) {
    randomFillSync(buf);
    fs.writeFileSync(path.join(dir, `folder${i % folders}`, `file${i}.bin`), buf);
  }
}

/** One file of `size` random bytes (incompressible, so no tool gets a free ride), written in 4 MiB pieces. */
export function makeBigFile(file: string, size: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (let off = 0; off < size; off += buf.length) {
      randomFillSync(buf);
      fs.writeSync(fd, buf, 0, Math.min(buf.length, size - off), off);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Changes the byte at `offset` (inverts it), as an editor saving a one-character change would, and moves
 * the mtime on by whole seconds: rsync and rclone compare mtimes at one-second precision.
 */
export function flipByte(file: string, offset: number): void {
  const { mtimeMs } = fs.statSync(file);
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
  const next = Math.max(Date.now() / 1000, Math.floor(mtimeMs / 1000) + 2);
  fs.utimesSync(file, next, next);
}

/** A small edit's bytes: different every time. */
export function editContent(i: number): Buffer {
  return Buffer.concat([Buffer.from(`edit ${i} at ${Date.now()}\n`), randomBytes(200)]);
}
