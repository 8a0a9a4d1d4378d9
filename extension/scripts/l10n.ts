// `npm run l10n -w extension`: writes l10n/bundle.l10n.json, every message the glue passes to t(), for translators (a test checks it is current).
//
// Read with the TypeScript parser rather than a pattern, so a message split over lines, with quotes
// or with placeholders is found exactly as written. A t() call whose first argument is not a string
// literal cannot be translated: it is reported, and the test fails on it.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const EXTENSION_ROOT = path.resolve(__dirname, '..');
export const BUNDLE_FILE = path.join(EXTENSION_ROOT, 'l10n', 'bundle.l10n.json');
/** The engine and the daemon do not show VS Code strings. */
const SKIPPED = ['sync', 'cli'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!(dir === path.join(EXTENSION_ROOT, 'src') && SKIPPED.includes(entry.name))) out.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}

export interface Extracted {
  messages: string[];
  /** t() calls whose message is not a literal: "file:line". */
  notLiteral: string[];
}

export function extractMessages(srcDir = path.join(EXTENSION_ROOT, 'src')): Extracted {
  const messages = new Set<string>();
  const notLiteral: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 't' && node.arguments.length > 0) {
        const first = node.arguments[0]!;
        if (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) messages.add(first.text);
        else notLiteral.push(`${path.relative(EXTENSION_ROOT, file)}:${source.getLineAndCharacterOfPosition(first.getStart()).line + 1}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { messages: [...messages].sort(), notLiteral };
}

/** The bundle's text: VS Code's format, each English message mapped to itself. */
export function bundleText(messages: readonly string[]): string {
  return `${JSON.stringify(Object.fromEntries(messages.map((m) => [m, m])), null, 2)}\n`;
}

if (require.main === module) {
  const { messages, notLiteral } = extractMessages();
  if (notLiteral.length) {
    process.stderr.write(`t() needs a string literal to be translatable:\n  ${notLiteral.join('\n  ')}\n`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(BUNDLE_FILE), { recursive: true });
  fs.writeFileSync(BUNDLE_FILE, bundleText(messages));
  process.stdout.write(`${path.relative(process.cwd(), BUNDLE_FILE)}: ${messages.length} messages\n`);
}
