// The keys that sign the website's cookies: SESSION_SECRET when given, else one random secret kept under MYDROPBOX_HOME.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** SESSION_SECRET may list several keys, comma-separated: the first signs, all verify (rotation). */
export function cookieKeysFrom(sessionSecret: string | undefined, home: string): string[] {
  if (sessionSecret)
    return sessionSecret
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
  const file = path.join(home, 'keys', 'session-secret');
  try {
    return [fs.readFileSync(file, 'utf8').trim()];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx': if another process wrote the secret first, use theirs so both sign alike.
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return [secret];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return [fs.readFileSync(file, 'utf8').trim()];
  }
}
