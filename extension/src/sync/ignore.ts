// Which paths are never synced: `.mydropboxignore` (gitignore syntax) plus editor and OS temp files and our own temp files.
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const IGNORE_FILE = '.mydropboxignore';

/** Prefix of the engine's own temp files (downloads in progress), kept beside their target. */
export const TEMP_PREFIX = '.mydropbox-tmp-';

export const DEFAULT_IGNORES: readonly string[] = [
  '.git/',
  '*.swp',
  '*.swx',
  '*~',
  '.#*',
  '\\#*#', // a leading # would make the line a comment
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  '*.tmp',
  '*.crdownload',
  '*.part',
  '.~lock.*#',
  `${TEMP_PREFIX}*`,
];

export class IgnoreRules {
  private constructor(
    private readonly matcher: Ignore,
    readonly userRules: string,
  ) {}

  static fromText(userRules: string): IgnoreRules {
    return new IgnoreRules(
      ignore()
        .add([...DEFAULT_IGNORES])
        .add(userRules),
      userRules,
    );
  }

  /** Reads `<folder>/.mydropboxignore` (missing or unreadable: defaults only). */
  static async load(folder: string): Promise<IgnoreRules> {
    const text = await fs.promises.readFile(path.join(folder, IGNORE_FILE), 'utf8').catch(() => '');
    return IgnoreRules.fromText(text);
  }

  /** `relPath` is `/`-separated and relative; a rule on a folder also hides everything below it. */
  ignores(relPath: string, isDir = false): boolean {
    return this.matcher.ignores(isDir ? `${relPath}/` : relPath);
  }
}
