// Which paths are never synced: `.mydropboxignore` (gitignore syntax) plus editor and OS temp files and our own temp files.
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { FOLDER_MARKER } from './folderMarker';

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
  FOLDER_MARKER,
];

/**
 * The `ignore` matcher remembers the answer for every path it is asked about, forever: at 100,000 files
 * that is a second copy of every path plus a result object each (W6). Starting a fresh matcher every
 * CACHE_LIMIT questions bounds that; the folder answers it recomputes cost a few regex tests each.
 * Small enough that the remembered answers die young: at 5,000 they outlived V8's young generation
 * and a restart's scan left ~15 MB of them in the old generation until the next full collection.
 */
const CACHE_LIMIT = 500;

/**
 * DEFAULT_IGNORES as one test of a file's name. A rule without a slash (but a trailing one, which only
 * folders match) is matched against the last part of a path only, so for a file whose folders are not
 * ignored, these rules alone decide by its name. Built from the list itself, with gitignore's `*`
 * (any characters but `/`) and a leading `\` escape, case-insensitive like the matcher; undefined
 * (always ask the matcher) if a default ever uses more syntax than that.
 */
const DEFAULT_FILE_NAMES = ((): RegExp | undefined => {
  const alternatives: string[] = [];
  for (const rule of DEFAULT_IGNORES) {
    if (rule.endsWith('/')) continue; // folders only: never a file
    const body = rule.startsWith('\\') ? rule.slice(1) : rule;
    if (/[/?[\]!\\\s]/.test(body) || body.includes('**')) return undefined;
    alternatives.push(
      body
        .split('*')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    );
  }
  return new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
})();

export class IgnoreRules {
  private matcher: Ignore;
  private asked = 0;
  /** Set when the folder has no rules of its own: the defaults then decide a file by its name (DEFAULT_FILE_NAMES). */
  private readonly fileNames: RegExp | undefined;

  private constructor(readonly userRules: string) {
    this.matcher = IgnoreRules.compile(userRules);
    const ownRules = userRules.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
    this.fileNames = ownRules.length === 0 ? DEFAULT_FILE_NAMES : undefined;
  }

  private static compile(userRules: string): Ignore {
    return ignore()
      .add([...DEFAULT_IGNORES])
      .add(userRules);
  }

  static fromText(userRules: string): IgnoreRules {
    return new IgnoreRules(userRules);
  }

  /** Reads `<folder>/.mydropboxignore` (missing or unreadable: defaults only). */
  static async load(folder: string): Promise<IgnoreRules> {
    const text = await fs.promises.readFile(path.join(folder, IGNORE_FILE), 'utf8').catch(() => '');
    return IgnoreRules.fromText(text);
  }

  /**
   * `ignores(rel)` for a file named `name` whose folders are known not to be ignored (the scan enters no
   * other): one regex test of the name instead of the matcher's many (W6 restart).
   */
  ignoresFile(rel: string, name: string): boolean {
    return this.fileNames ? this.fileNames.test(name) : this.ignores(rel);
  }

  /** `relPath` is `/`-separated and relative; a rule on a folder also hides everything below it. */
  ignores(relPath: string, isDir = false): boolean {
    // Our own files stay out whatever the person's rules say (a `!` rule cannot bring them back).
    if (isOwnFile(relPath)) return true;
    if (++this.asked > CACHE_LIMIT) {
      this.asked = 0;
      this.matcher = IgnoreRules.compile(this.userRules);
    }
    return this.matcher.ignores(isDir ? `${relPath}/` : relPath);
  }
}

/** The marker and our temp files, at any depth. */
function isOwnFile(relPath: string): boolean {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  return name === FOLDER_MARKER || name.startsWith(TEMP_PREFIX);
}
