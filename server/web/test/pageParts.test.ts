// The website's pure pieces: folder views, breadcrumbs, units, dates, redirects after login, device names, dispatch.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { FileEntry } from '@mydropbox/shared';
import { listen } from '@mydropbox/server-common';
import { breadcrumbs, folderView } from '../src/folderView';
import { formatAgo, formatBytes, formatDate, usagePercent } from '../src/formatting';
import { safeNext } from '../src/routes/account';
import { deviceNameOf } from '../src/deviceName';
import { createDispatcher } from '../src/dispatch';

const entry = (path: string, size = 1, modifiedAt = 1_000): FileEntry => ({ path, size, modifiedAt, rev: 1, contentHash: 'x' });

describe('website pieces', () => {
  it('builds one folder view from the flat list: subfolders with totals, files, natural order', () => {
    const files = [
      entry('b.txt'),
      entry('a/x.txt', 10, 5),
      entry('a/y/z.txt', 20, 9),
      entry('A10.txt'),
      entry('A9.txt'),
      entry('ab/q.txt'),
    ];
    const top = folderView(files, '');
    assert.deepEqual(
      top.folders.map((f) => [f.name, f.fileCount, f.size, f.modifiedAt]),
      [
        ['a', 2, 30, 9],
        ['ab', 1, 1, 1000],
      ],
    );
    assert.deepEqual(
      top.files.map((f) => f.name),
      ['A9.txt', 'A10.txt', 'b.txt'],
    );
    const a = folderView(files, 'a');
    assert.ok(a.exists);
    assert.deepEqual(
      a.folders.map((f) => f.dir),
      ['a/y'],
    );
    assert.deepEqual(
      a.files.map((f) => f.path),
      ['a/x.txt'],
    );
    assert.equal(folderView(files, 'nope').exists, false);
    assert.equal(folderView(files, 'a/x.txt').exists, false, 'a file is not a folder');
    assert.equal(folderView([], '').exists, true);
  });

  it('makes breadcrumbs that lead back up', () => {
    assert.deepEqual(breadcrumbs(''), [{ name: 'All files', dir: '' }]);
    assert.deepEqual(breadcrumbs('a/b'), [
      { name: 'All files', dir: '' },
      { name: 'a', dir: 'a' },
      { name: 'b', dir: 'a/b' },
    ]);
  });

  it('shows sizes in decimal units and dates in UTC', () => {
    assert.equal(formatBytes(0), '0 bytes');
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(999), '999 bytes');
    assert.equal(formatBytes(1000), '1 KB');
    assert.equal(formatBytes(18_000), '18 KB');
    assert.equal(formatBytes(5_242_880), '5.2 MB');
    assert.equal(formatBytes(123_456_789), '123 MB');
    assert.equal(formatBytes(5_000_000_000), '5 GB');
    assert.equal(formatBytes(-1), '–');
    assert.equal(formatDate(Date.UTC(2026, 2, 12, 14, 5)), '12 Mar 2026, 14:05 UTC');
    assert.equal(formatDate(0), '–');
    const now = Date.UTC(2026, 2, 12, 14, 5);
    assert.equal(formatAgo(now - 10_000, now), 'just now');
    assert.equal(formatAgo(now - 5 * 60_000, now), '5 minutes ago');
    assert.equal(formatAgo(now - 3 * 3600_000, now), '3 hours ago');
    assert.equal(formatAgo(now - 26 * 3600_000, now), 'yesterday');
    assert.equal(formatAgo(now - 30 * 86400_000, now), formatDate(now - 30 * 86400_000));
  });

  it('fills the quota bar so any use shows and it never overflows', () => {
    assert.equal(usagePercent(0, 5e9), 0);
    assert.equal(usagePercent(1, 5e9), 1);
    assert.equal(usagePercent(2.5e9, 5e9), 50);
    assert.equal(usagePercent(6e9, 5e9), 100);
  });

  it('only sends people back to pages of this site after login', () => {
    assert.equal(safeNext('/devices'), '/devices');
    assert.equal(safeNext('/files?dir=a%2Fb'), '/files?dir=a%2Fb');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)', '', undefined, ['/a']]) {
      assert.equal(safeNext(bad), '/files', String(bad));
    }
  });

  it('names web sessions after the browser and system', () => {
    assert.equal(deviceNameOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36'), 'Chrome on Linux');
    assert.equal(
      deviceNameOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1'),
      'Safari on iOS',
    );
    assert.equal(deviceNameOf('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'), 'Firefox on Windows');
    assert.equal(deviceNameOf(''), 'Web browser');
  });

  it('dispatches /api/ and /healthz to the router, /dav/ to WebDAV, the rest to the website', async () => {
    const answer =
      (name: string): http.RequestListener =>
      (_req, res) =>
        res.end(name);
    const withDav = await listen(createDispatcher({ web: answer('web'), router: answer('router'), dav: answer('dav') }));
    const withoutDav = await listen(createDispatcher({ web: answer('web'), router: answer('router') }));
    try {
      const cases: [string, string][] = [
        ['/api/v1/me', 'router'],
        ['/api', 'router'],
        ['/healthz', 'router'],
        ['/healthz?x=1', 'router'],
        ['/dav/', 'dav'],
        ['/dav/a/b.txt', 'dav'],
        ['/dav', 'dav'],
        ['/apis', 'web'],
        ['/davx', 'web'],
        ['/files?dir=api', 'web'],
        ['/', 'web'],
      ];
      for (const [p, who] of cases) assert.equal(await (await fetch(`${withDav.url}${p}`)).text(), who, p);
      const res = await fetch(`${withoutDav.url}/dav/`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /not_found/);
    } finally {
      await withDav.close();
      await withoutDav.close();
    }
  });
});
