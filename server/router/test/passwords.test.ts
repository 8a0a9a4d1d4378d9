// New passwords: commonly used and easily guessed ones are refused with a reason in words (13.10).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MyDropboxError } from '@mydropbox/shared';
import { checkNewPassword } from '@mydropbox/router';

const refusedBecause = (password: string, context = { username: 'erin', email: 'erin.smith@example.com' }): string => {
  try {
    checkNewPassword(password, context);
  } catch (err) {
    assert.ok(MyDropboxError.is(err, 'invalid_request'), String(err));
    return err.message;
  }
  return '';
};

describe('new passwords (13.10)', () => {
  it('refuses the most commonly used passwords and says why', () => {
    for (const password of ['password', '12345678', 'password1', 'iloveyou', 'qwertyuiop', 'Password123', 'letmein!']) {
      assert.match(refusedBecause(password), /one of the most commonly used passwords/, password);
    }
  });

  it('refuses other easily guessed ones: repeats, sequences, rows of keys, the name and email of the account', () => {
    assert.match(refusedBecause('aaaaaaaaaaaa'), /repeats/);
    assert.match(refusedBecause('abcdefghijk'), /sequence/);
    assert.match(refusedBecause('qazwsxedcrfv'), /row of keys|commonly used/);
    assert.match(refusedBecause('zxcvbnm,./;lk'), /row of keys/);
    assert.match(refusedBecause('erinerinerin1'), /your username or email|repeats/);
    assert.match(refusedBecause('erin.smith2026'), /your username or email/);
    assert.match(refusedBecause('mydropbox2026'), /MyDropbox|easy to guess/);
  });

  it('every refusal suggests what to choose instead', () => {
    assert.match(refusedBecause('password'), /A few unrelated words/);
  });

  it('accepts passphrases and long random passwords', () => {
    for (const password of ['correct horse battery staple', 'a long and happy passphrase', 'Tr0ub4dour&3-xk', 'vK8#pq2!Lm9z']) {
      assert.equal(refusedBecause(password), '', password);
    }
  });

  it('keeps the length rules, and judges very long passwords quickly', () => {
    assert.match(refusedBecause('short'), /at least 8 characters/);
    assert.match(refusedBecause('x'.repeat(1025)), /at most 1024/);
    assert.equal(refusedBecause(randomBytes(800).toString('base64').slice(0, 1024)), '');
  });
});
