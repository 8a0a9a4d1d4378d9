// The manifest and the package: commands with icons, a category and `when` clauses on keys the extension sets; views, colours, walkthrough, settings, translations, and what `vsce ls` ships.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as sync from '../../src/sync';
import { activateExtension } from '../../src/activation';
import { COMMANDS, WALKTHROUGH_ID } from '../../src/commands';
import { DEFAULT_SERVER_URL } from '../../src/config';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { DECORATION_COLORS } from '../../src/decorations';
import { ACTIVITY_VIEW } from '../../src/activityView';
import { REMOTE_FILES_VIEW } from '../../src/remoteFilesView';
import { SERVER_SCHEME } from '../../src/syncPaths';
import { bundleText, BUNDLE_FILE, extractMessages } from '../../scripts/l10n';
import { createVscodeDouble } from './double';
import { FOLDER_MARKER } from '../../src/sync/folderMarker';

const run = promisify(execFile);

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  icon: string;
  l10n: string;
  displayName: string;
  description: string;
  repository?: unknown;
  bugs?: unknown;
  homepage?: unknown;
  galleryBanner: { color: string };
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; description?: string } };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category: string; icon?: string }[];
    submenus: { id: string; label: string }[];
    menus: Record<string, MenuEntry[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    colors: { id: string; description: string; defaults: Record<string, string> }[];
    walkthroughs: { id: string; steps: { id: string; media: { markdown?: string; image?: string }; completionEvents: string[] }[] }[];
    configurationDefaults: Record<string, unknown>;
    configuration: {
      properties: Record<string, { type: string; default: unknown; markdownDescription?: string; description?: string; scope?: string }>;
    };
  };
}

const extensionDir = path.resolve(__dirname, '../..');
const manifestText = fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Manifest;
const nls = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.nls.json'), 'utf8')) as Record<string, string>;
/** A manifest string as VS Code shows it: `%key%` looked up in package.nls.json. */
const shown = (value: string) => value.replace(/^%(.+)%$/, (_, key: string) => nls[key] ?? `<missing ${key}>`);

/** Every `mydropbox.*` name a when clause reads that is not a view or command id. */
function contextKeysIn(when: string): string[] {
  return [...when.matchAll(/\bmydropbox\.[A-Za-z]+\b/g)].map((m) => m[0]);
}

describe('manifest and package', () => {
  it("hides the synced folder's marker file in the Explorer, so it is not deleted by mistake", () => {
    assert.deepEqual(manifest.contributes.configurationDefaults['files.exclude'], { [`**/${FOLDER_MARKER}`]: true });
  });

  it('registers exactly the commands the manifest contributes, each with a title, the MyDropbox category and an icon', async () => {
    const dir = fs.mkdtempSync(path.join(extensionDir, '.test-manifest-'));
    try {
      const double = createVscodeDouble(dir);
      await activateExtension(double.host, double.context, sync);
      const contributed = manifest.contributes.commands.map((c) => c.command).sort();
      assert.deepEqual([...double.commands.keys()].sort(), contributed);
      assert.deepEqual(Object.values(COMMANDS).sort(), contributed);
      await double.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'MyDropbox', c.command);
      assert.match(c.icon ?? '', /^\$\([a-z-]+\)$/, `${c.command} has a codicon`);
      assert.ok(shown(c.title).length > 2, c.command);
    }
    const titles = manifest.contributes.commands.map((c) => shown(c.title));
    for (const t of ['Sign In', 'Sign Out', 'Pause Sync', 'Resume Sync', 'Sync Now', 'Open Website', 'Show Log', 'Add to .mydropboxignore'])
      assert.ok(titles.includes(t), t);
  });

  it('shows every command in the palette only when it applies, on context keys the extension sets', () => {
    const palette = manifest.contributes.menus.commandPalette!;
    const always: string[] = [COMMANDS.openWebsite, COMMANDS.showLog, COMMANDS.getStarted];
    for (const c of manifest.contributes.commands) {
      const entry = palette.find((e) => e.command === c.command);
      if (always.includes(c.command)) assert.equal(entry, undefined, `${c.command} always applies`);
      else assert.ok(entry?.when, `${c.command} has a when clause in the command palette`);
    }
    const when = (id: string) => palette.find((e) => e.command === id)!.when;
    assert.equal(when(COMMANDS.signIn), '!mydropbox.signedIn');
    assert.equal(when(COMMANDS.signOut), 'mydropbox.signedIn');
    assert.match(when(COMMANDS.pause)!, /!mydropbox\.paused/);
    assert.equal(when(COMMANDS.resume), 'mydropbox.paused');
    assert.equal(when(COMMANDS.showMenu), 'false');
    assert.equal(when(COMMANDS.resolveConflicts), 'mydropbox.hasConflicts');

    const known = new Set<string>([
      ...Object.values(CONTEXT_KEYS),
      ...manifest.contributes.commands.map((c) => c.command),
      ...Object.values(manifest.contributes.views).flatMap((v) => v.map((view) => view.id)),
    ]);
    const clauses = [
      ...Object.values(manifest.contributes.menus).flatMap((entries) => entries.map((e) => e.when ?? '')),
      ...manifest.contributes.viewsWelcome.map((w) => w.when ?? ''),
      ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.flatMap((s) => s.completionEvents)),
    ];
    for (const clause of clauses)
      for (const key of contextKeysIn(clause)) assert.ok(known.has(key), `"${key}" in "${clause}" is set by the extension`);
  });

  it('puts the file commands in a MyDropbox submenu of the Explorer and the editor, conflict actions only on conflicted copies', () => {
    const menus = manifest.contributes.menus;
    const submenu = manifest.contributes.submenus[0]!;
    assert.equal(shown(submenu.label), 'MyDropbox');
    for (const place of ['explorer/context', 'editor/context', 'editor/title/context']) {
      const entry = menus[place]!.find((e) => e.submenu === submenu.id);
      assert.ok(entry, place);
      assert.match(entry.when!, /mydropbox\.active/);
    }
    const inMenu = menus[submenu.id]!;
    for (const id of [
      COMMANDS.addToIgnore,
      COMMANDS.openOnWebsite,
      COMMANDS.compareWithServer,
      COMMANDS.compareConflict,
      COMMANDS.keepMine,
      COMMANDS.keepTheirs,
    ])
      assert.ok(
        inMenu.some((e) => e.command === id),
        id,
      );
    for (const id of [COMMANDS.compareConflict, COMMANDS.keepMine, COMMANDS.keepTheirs]) {
      const conflictWhen = inMenu.find((e) => e.command === id)!.when!;
      const regex = new RegExp(/=~ \/(.+)\/$/.exec(conflictWhen)![1]!);
      assert.ok(regex.test('plan (conflicted copy from laptop 2026-11-26 0815).md'));
      assert.ok(!regex.test('plan.md'));
    }
  });

  it('contributes the MyDropbox view container with Remote Files and Activity, welcome text, and the colours the decorations use', () => {
    const container = manifest.contributes.viewsContainers.activitybar[0]!;
    assert.equal(container.id, 'mydropbox');
    assert.ok(fs.existsSync(path.join(extensionDir, container.icon)));
    assert.deepEqual(
      manifest.contributes.views.mydropbox!.map((v) => [v.id, shown(v.name)]),
      [
        [REMOTE_FILES_VIEW, 'Remote Files'],
        [ACTIVITY_VIEW, 'Activity'],
      ],
    );
    for (const w of manifest.contributes.viewsWelcome) assert.match(shown(w.contents), /\[.+\]\(command:[\w.]+\)/, w.view);
    const colors = new Map(manifest.contributes.colors.map((c) => [c.id, c]));
    for (const id of Object.values(DECORATION_COLORS)) {
      const c = colors.get(id);
      assert.ok(c, id);
      for (const theme of ['dark', 'light', 'highContrast', 'highContrastLight'])
        assert.match(c.defaults[theme] ?? '', /^#[0-9a-fA-F]{6}$/);
    }
    assert.ok(manifest.activationEvents.includes(`onFileSystem:${SERVER_SCHEME}`));
  });

  it('has a walkthrough whose steps exist and complete on what the person did', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.equal(`${manifest.publisher}.${manifest.name}#${walkthrough!.id}`, WALKTHROUGH_ID);
    assert.deepEqual(
      walkthrough!.steps.map((s) => s.id),
      ['signIn', 'chooseFolder', 'firstSync', 'website'],
    );
    for (const step of walkthrough!.steps) {
      assert.ok(fs.existsSync(path.join(extensionDir, step.media.markdown ?? step.media.image ?? 'missing')), step.id);
      assert.ok(step.completionEvents.length > 0, step.id);
    }
  });

  it('respects workspace trust (limited) and describes every setting with a sensible scope', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(shown(manifest.capabilities.untrustedWorkspaces.description ?? '').length > 30);
    const props = manifest.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), [
      'mydropbox.decorations',
      'mydropbox.folder',
      'mydropbox.openConflictDiff',
      'mydropbox.serverUrl',
    ]);
    assert.equal(props['mydropbox.serverUrl']!.default, DEFAULT_SERVER_URL);
    for (const [key, p] of Object.entries(props))
      assert.ok(shown(p.markdownDescription ?? p.description ?? '').length > 40, `${key} has a description`);
    // Where files go and which server gets them is the person's choice, never a workspace's.
    assert.equal(props['mydropbox.serverUrl']!.scope, 'machine');
    assert.equal(props['mydropbox.folder']!.scope, 'machine');
    assert.equal(props['mydropbox.decorations']!.scope, 'window');
    assert.equal(props['mydropbox.openConflictDiff']!.scope, 'window');
  });

  it('has every manifest string in package.nls.json, and every t() message in the l10n bundle', () => {
    const used = new Set([...manifestText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]!));
    assert.deepEqual(
      [...used].filter((k) => !(k in nls)),
      [],
      'keys missing from package.nls.json',
    );
    assert.deepEqual(
      Object.keys(nls).filter((k) => !used.has(k)),
      [],
      'unused keys in package.nls.json',
    );
    const { messages, notLiteral } = extractMessages();
    assert.deepEqual(notLiteral, [], 't() with a message that is not a literal cannot be translated');
    assert.ok(messages.length > 100);
    assert.equal(
      fs.readFileSync(BUNDLE_FILE, 'utf8'),
      bundleText(messages),
      'l10n/bundle.l10n.json is current: run `npm run l10n -w extension`',
    );
    assert.equal(manifest.l10n, './l10n');
  });

  it('has a manifest the Marketplace and code-server 4.100 accept, with the logo as its icon and colour', () => {
    assert.equal(manifest.name, 'mydropbox');
    assert.equal(manifest.publisher, 'mydropbox');
    assert.equal(manifest.main, './out/extension.js');
    assert.equal(shown(manifest.displayName), 'MyDropbox');
    const engine = /^\^1\.(\d+)\.\d+$/.exec(manifest.engines.vscode);
    assert.ok(engine && Number(engine[1]) <= 100, `engines.vscode ${manifest.engines.vscode} must allow VS Code 1.100`);
    const types = /(\d+)\.(\d+)/.exec(manifest.devDependencies['@types/vscode'] ?? '');
    assert.ok(types && Number(types[2]) <= Number(engine[1]), '@types/vscode must not be newer than engines.vscode');
    assert.ok(manifest.activationEvents.includes('onUri'));
    assert.ok(manifest.activationEvents.includes('onStartupFinished'));
    // No made-up addresses: this project has no public repository or tracker.
    assert.equal(manifest.repository, undefined);
    assert.equal(manifest.bugs, undefined);
    assert.equal(manifest.homepage, undefined);
    // The icon is the website's logo, rendered at 128×128 (media/render-icon.js), and the banner its blue.
    const png = fs.readFileSync(path.join(extensionDir, manifest.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    const logo = fs.readFileSync(path.join(extensionDir, '../server/web/src/public/logo.svg'), 'utf8');
    const logoColors = [...logo.matchAll(/stop-color="(#[0-9a-f]{6})"/gi)].map((m) => m[1]!.toLowerCase());
    assert.ok(
      logoColors.includes(manifest.galleryBanner.color.toLowerCase()),
      `banner ${manifest.galleryBanner.color} is one of the logo's ${logoColors}`,
    );
    assert.ok(!fs.existsSync(path.join(extensionDir, 'media/icon.svg')), 'one mark: the website logo, not a second drawing');
  });

  it('`vsce ls` run in extension/ lists only the extension: no workspace root, sources or node_modules', async function () {
    this.timeout(60_000);
    const vsce = require.resolve('@vscode/vsce/vsce', { paths: [extensionDir] });
    const { stdout } = await run(process.execPath, [vsce, 'ls'], { cwd: extensionDir, maxBuffer: 16 << 20 });
    const files = stdout.trim().split('\n').sort();
    const allowed = [
      /^package\.json$/,
      /^package\.nls(\.[a-z-]+)?\.json$/,
      /^l10n\/bundle\.l10n(\.[a-z-]+)?\.json$/,
      /^out\/extension\.js$/,
      /^media\/(icon\.png|activitybar\.svg|walkthrough\/\w+\.md)$/,
      /^(README|CHANGELOG)\.md$/,
      /^LICENSE$/,
    ];
    for (const f of files)
      assert.ok(
        allowed.some((a) => a.test(f)),
        `vsce would ship ${f}`,
      );
    for (const needed of [
      'package.json',
      'package.nls.json',
      'l10n/bundle.l10n.json',
      'media/icon.png',
      'media/activitybar.svg',
      'README.md',
      'LICENSE',
    ])
      assert.ok(files.includes(needed), `vsce ships ${needed}`);
  });
});
