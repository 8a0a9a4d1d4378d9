// The website's Deleted files and Version history pages over HTTP, against the real router and data server: the links to them, restores, downloads and refusals.
import assert from 'node:assert/strict';
import { startStack, TEST_PASSWORD, uploadFile, type Stack, type StackUser } from '../../../test/support/stack';
import { WebClient, alertText } from './webClient';

/** Text of the page's status line (a success flash), if any. */
function statusText(html: string): string | undefined {
  return /role="status">([^<]*)</.exec(html)?.[1];
}

describe('website deleted files and version history', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  let web: WebClient;

  before(async () => {
    stack = await startStack();
    user = await stack.signUpAndSignIn();
    web = new WebClient(stack.url);
    const res = await web.submit('/login', '/login', { username: user.username, password: TEST_PASSWORD });
    assert.equal(res.status, 302, alertText(res.html));
  });
  after(async () => stack?.close());

  it('links Deleted files and each file’s Version history from the files page, and says versions do not count', async () => {
    await uploadFile(user, 'docs/a.txt', Buffer.from('a'));
    const page = await web.get('/files?dir=docs');
    assert.equal(page.status, 200);
    assert.match(page.html, /<a href="\/deleted\?dir=docs">Deleted files<\/a>/);
    assert.match(page.html, /<a href="\/files\/versions\?path=docs%2Fa.txt">Version history<\/a>/);
    assert.match(page.html, /do not count against your quota/);
  });

  it('lists a file’s versions, downloads one and restores it over the current one, which is kept', async () => {
    await uploadFile(user, 'v.txt', Buffer.from('first'));
    await stack.services.files.delete(user.username, 'v.txt');
    await uploadFile(user, 'v.txt', Buffer.from('second!'));
    const page = await web.get('/files/versions?path=v.txt');
    assert.equal(page.status, 200);
    assert.match(page.html, /Deleted/);
    const id = /versions\/download\?path=v.txt&amp;id=([0-9a-f]{32})/.exec(page.html)?.[1];
    assert.ok(id, 'a Download link per version');
    const download = await web.request(`/files/versions/download?path=v.txt&id=${id}`);
    assert.equal(download.status, 200);
    assert.equal(await download.text(), 'first');

    const res = await web.submit('/files/versions?path=v.txt', '/files/versions/restore', { path: 'v.txt', versionId: id });
    assert.equal(res.status, 302);
    const after = await web.get(res.location!);
    assert.match(statusText(after.html) ?? '', /Restored the older version of “v.txt”/);
    assert.equal(await (await web.request('/files/download?path=v.txt')).text(), 'first');
    assert.match(after.html, /Replaced by a restore/, 'the content it replaced is listed as a version');
  });

  it('lists deleted files, restores one beside a taken name, and everything deleted in a folder', async () => {
    for (const name of ['one', 'two', 'three']) await uploadFile(user, `d/${name}.txt`, Buffer.from(name));
    await stack.services.files.deleteFolder(user.username, 'd');
    await uploadFile(user, 'd/one.txt', Buffer.from('a new one'));
    const page = await web.get('/deleted?dir=d');
    assert.equal(page.status, 200);
    for (const name of ['two', 'three']) assert.match(page.html, new RegExp(`aria-label="Restore ${name}.txt"`));
    assert.doesNotMatch(page.html, /aria-label="Restore one.txt"/, 'one.txt exists again: not deleted');
    assert.match(page.html, /Website/, 'who deleted them');

    // From a page loaded before one.txt was made again: it comes back beside the new one.
    let res = await web.submit('/deleted?dir=d', '/deleted/restore', { path: 'd/one.txt', dir: 'd' });
    assert.equal(res.status, 302);
    assert.match(
      statusText((await web.get(res.location!)).html) ?? '',
      /Restored “one.txt” as “one \(restored\).txt”, because “one.txt” is taken/,
    );
    assert.equal(await (await web.request('/files/download?path=d%2Fone%20(restored).txt')).text(), 'one');

    res = await web.submit('/deleted?dir=d', '/deleted/restore-folder', { dir: 'd' });
    assert.equal(res.status, 302);
    assert.match(statusText((await web.get(res.location!)).html) ?? '', /Restored 2 files/);
    const names = (await stack.services.files.list(user.username))
      .map((f) => f.path)
      .filter((p) => p.startsWith('d/'))
      .sort();
    assert.deepEqual(names, ['d/one (restored).txt', 'd/one.txt', 'd/three.txt', 'd/two.txt']);
  });

  it('refuses bad input in words: an unknown version, a path leaving the folder, a missing file', async () => {
    await uploadFile(user, 'r.txt', Buffer.from('r'));
    const unknown = await web.submit('/files/versions?path=r.txt', '/files/versions/restore', { path: 'r.txt', versionId: '0'.repeat(32) });
    assert.equal(unknown.status, 302);
    assert.match(alertText((await web.get(unknown.location!)).html) ?? '', /no such version/);
    assert.equal((await web.get('/files/versions?path=..%2Fx')).status, 400);
    assert.equal((await web.get('/files/versions?path=never.txt')).status, 404);
    assert.equal((await web.request('/files/versions/download?path=r.txt&id=nope')).status, 404);
    const dots = await web.submit('/deleted', '/deleted/restore', { path: '../etc/passwd' });
    assert.equal(dots.status, 400);
  });
});
