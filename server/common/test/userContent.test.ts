// The user-content header policy: what may be shown inline, what always downloads, and names that survive any character.
import assert from 'node:assert/strict';
import { contentDisposition, userContentHeaders } from '../src/userContent';

describe('user content headers', () => {
  it('downloads by default, as opaque bytes when the type is unknown, always sandboxed and never sniffed', () => {
    const h = userContentHeaders({ filename: 'docs/report.bin' });
    assert.equal(h['Content-Type'], 'application/octet-stream');
    assert.match(h['Content-Disposition'], /^attachment; filename="report.bin"/);
    assert.match(h['Content-Security-Policy'], /^sandbox;/);
    assert.equal(h['X-Content-Type-Options'], 'nosniff');
    assert.equal(h['Cross-Origin-Resource-Policy'], 'same-origin');
  });

  it('shows images and media inline when asked, and pages, SVG and scripts only as their text', () => {
    assert.deepEqual(
      [
        userContentHeaders({ filename: 'a.png', disposition: 'inline', contentType: 'image/png' }),
        userContentHeaders({ filename: 'a.mp4', disposition: 'inline', contentType: 'video/mp4' }),
      ].map((h) => [h['Content-Type'], h['Content-Disposition'].split(';')[0]]),
      [
        ['image/png', 'inline'],
        ['video/mp4', 'inline'],
      ],
    );
    for (const type of ['text/html; charset=utf-8', 'image/svg+xml', 'text/javascript', 'application/json', 'TEXT/HTML']) {
      const h = userContentHeaders({ filename: 'x', disposition: 'inline', contentType: type });
      assert.equal(h['Content-Type'], 'text/plain; charset=utf-8', type);
    }
  });

  it('never labels an attachment as something a browser runs, and downloads what cannot be shown safely', () => {
    assert.equal(userContentHeaders({ filename: 'x.html', contentType: 'text/html' })['Content-Type'], 'text/plain; charset=utf-8');
    assert.equal(
      userContentHeaders({ filename: 'x.xhtml', contentType: 'application/xhtml+xml' })['Content-Type'],
      'application/octet-stream',
    );
    const exe = userContentHeaders({ filename: 'x.exe', disposition: 'inline', contentType: 'application/x-msdownload' });
    assert.match(exe['Content-Disposition'], /^attachment/);
    assert.equal(exe['Content-Type'], 'application/octet-stream');
    // PDF previews (issue 15) show in the browser's own viewer, still under the sandbox policy.
    const pdf = userContentHeaders({ filename: 'x.pdf', disposition: 'inline', contentType: 'application/pdf' });
    assert.match(pdf['Content-Disposition'], /^inline/);
    assert.match(pdf['Content-Security-Policy'], /^sandbox/);
  });

  it('names the file with an ASCII fallback and the exact UTF-8 name, whatever characters it has', () => {
    assert.equal(
      contentDisposition('attachment', 'a/Ré "sumé" 100%.txt'),
      `attachment; filename="Re _sume_ 100_.txt"; filename*=UTF-8''R%C3%A9%20%22sum%C3%A9%22%20100%25.txt`,
    );
    assert.equal(
      contentDisposition('inline', "it's (1)*.txt"),
      `inline; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`,
    );
    assert.equal(contentDisposition('attachment', '日本'), `attachment; filename="__"; filename*=UTF-8''%E6%97%A5%E6%9C%AC`);
    assert.doesNotMatch(contentDisposition('attachment', 'a\r\nSet-Cookie: x=1'), /[\r\n]/);
  });
});
