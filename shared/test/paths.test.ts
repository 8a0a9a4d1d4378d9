// The one path validator: fixed cases, then a seeded fuzz that whatever it accepts is safe to join under a folder.
import assert from 'node:assert/strict';
import nodePath from 'node:path';
import { isInside, isValidPath, MAX_PATH_BYTES, MAX_SEGMENT_BYTES, MyDropboxError, normalizePath, parentPath, baseName } from '../src';

describe('normalizePath', () => {
  it('accepts ordinary relative paths unchanged', () => {
    for (const p of [
      'a',
      'a/b/c.txt',
      '.hidden',
      'a/.b',
      '...',
      'a..b',
      'file with spaces',
      '日本/語.txt',
      'x'.repeat(MAX_SEGMENT_BYTES),
    ]) {
      assert.equal(normalizePath(p), p);
    }
  });

  it('turns NFD into NFC', () => {
    assert.equal(normalizePath('Cafe\u0301'), 'Caf\u00e9');
    assert.equal(normalizePath('a\u0308/o\u0308'), '\u00e4/\u00f6');
  });

  it('refuses every unsafe shape with invalid_path and a message', () => {
    const bad: unknown[] = [
      '',
      '/',
      '/a',
      '//a',
      'a/',
      'a//b',
      '.',
      '..',
      './a',
      'a/.',
      '../a',
      'a/..',
      'a/../b',
      'a\\b',
      '..\\a',
      'C:',
      'C:\\x',
      'c:/x',
      'a\u0000b',
      '\u0000',
      'a\nb',
      'a\rb',
      'a\tb',
      'a\u001fb',
      'a\u007fb',
      'a\u0085b',
      'a\ud800b',
      '\udc00',
      'x'.repeat(MAX_SEGMENT_BYTES + 1),
      'é'.repeat(128),
      Array.from({ length: 17 }, () => 'z'.repeat(250)).join('/'),
      undefined,
      null,
      5,
      ['a'],
      { path: 'a' },
    ];
    for (const p of bad) {
      assert.throws(
        () => normalizePath(p),
        (err: unknown) => MyDropboxError.is(err, 'invalid_path') && err.message.length > 10,
        JSON.stringify(p),
      );
      assert.equal(isValidPath(p), false);
    }
  });

  it('measures limits in UTF-8 bytes, not characters', () => {
    assert.equal(normalizePath('é'.repeat(127)), 'é'.repeat(127)); // 254 bytes
    assert.throws(() => normalizePath('é'.repeat(128))); // 256 bytes
    const folders = Array.from({ length: 16 }, () => 'w'.repeat(254)).join('/'); // 16*254 + 15 = 4079 bytes
    const exactly = `${folders}/${'v'.repeat(16)}`; // 4096 bytes
    assert.equal(normalizePath(exactly), exactly);
    assert.throws(() => normalizePath(exactly + 'v'));
  });

  it('splits folders and names', () => {
    assert.equal(parentPath('a/b/c'), 'a/b');
    assert.equal(parentPath('c'), '');
    assert.equal(baseName('a/b/c'), 'c');
    assert.equal(isInside('a/b', 'a'), true);
    assert.equal(isInside('ab', 'a'), false);
    assert.equal(isInside('x', ''), true);
  });

  describe('fuzz', () => {
    // Alphabet weighted towards the characters that make paths dangerous.
    const pieces = [
      'a',
      'b',
      'Z',
      '0',
      '.',
      '..',
      '/',
      '\\',
      ':',
      'C:',
      ' ',
      '\u0000',
      '\u001b',
      '\u007f',
      '\u0085',
      'é',
      'e\u0301',
      '日',
      '😀',
      '\ud800',
      '%2e',
      '~',
      '-',
      'x'.repeat(100),
    ];

    function rng(seed: number): () => number {
      let x = seed >>> 0 || 1;
      return () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) / 2 ** 32;
      };
    }

    it('accepts only paths that stay inside their folder (20,000 seeded cases)', () => {
      const seed = Number(process.env.FUZZ_SEED ?? 20261201);
      const random = rng(seed);
      const base = nodePath.resolve('/srv/data/7/alice');
      let accepted = 0;
      for (let i = 0; i < 20_000; i++) {
        const n = 1 + Math.floor(random() * 12);
        let input = '';
        for (let j = 0; j < n; j++) input += pieces[Math.floor(random() * pieces.length)];
        let out: string;
        try {
          out = normalizePath(input);
        } catch (err) {
          assert.ok(MyDropboxError.is(err, 'invalid_path'), `case ${i} (seed ${seed}) threw something else for ${JSON.stringify(input)}`);
          continue;
        }
        accepted++;
        const why = `case ${i} (seed ${seed}): ${JSON.stringify(input)} -> ${JSON.stringify(out)}`;
        assert.ok(!out.startsWith('/') && !/^[A-Za-z]:/.test(out), why);
        assert.ok(!out.split('/').some((s) => s === '' || s === '.' || s === '..'), why);
        assert.ok(!out.includes('\\') && !/[\u0000-\u001f\u007f-\u009f]/.test(out), why);
        assert.ok(Buffer.byteLength(out, 'utf8') <= MAX_PATH_BYTES, why);
        assert.ok(
          out.split('/').every((s) => Buffer.byteLength(s, 'utf8') <= MAX_SEGMENT_BYTES),
          why,
        );
        assert.equal(out, out.normalize('NFC'), why);
        // A lone surrogate is written to disk as U+FFFD, so two different names would share one file.
        assert.ok(!/[\ud800-\udfff]/u.test(out), `not well-formed UTF-16: ${why}`);
        assert.equal(normalizePath(out), out, `not idempotent: ${why}`);
        const joined = nodePath.join(base, out);
        assert.ok(joined.startsWith(base + nodePath.sep), `escapes its folder: ${why}`);
      }
      assert.ok(accepted > 1000, `only ${accepted} accepted: the fuzz alphabet should reach valid paths too`);
    });
  });
});
