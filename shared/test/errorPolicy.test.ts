import assert from 'node:assert/strict';
import { classify, errorFromResponse, isRetryable, MyDropboxError, retryAfterMs, type ErrorCode } from '../src';

describe('the error policy', () => {
  it('sorts every error code into one class', () => {
    const expected: Record<string, ErrorCode[]> = {
      auth: ['bad_credentials', 'unauthorized', 'token_expired'],
      offline: ['server_unavailable'],
      retry: ['internal', 'rate_limited', 'insufficient_storage'],
      remoteChanged: ['conflict', 'hash_mismatch', 'not_found'],
      localChanged: ['block_missing'],
      needsPerson: ['invalid_request', 'invalid_path', 'forbidden', 'quota_exceeded', 'payload_too_large', 'folder_unavailable'],
    };
    for (const [kind, codes] of Object.entries(expected)) {
      for (const code of codes) assert.equal(classify(new MyDropboxError(code, 'x')).kind, kind, code);
    }
  });

  it('reads the network, timeouts and our own layers’ errors', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    assert.equal(classify(refused).kind, 'offline');
    assert.equal(classify(Object.assign(new Error('t'), { name: 'TimeoutError' })).kind, 'offline');
    assert.equal(classify(Object.assign(new Error('gone'), { code: 'ENOENT' })).kind, 'localChanged');
    assert.equal(classify(Object.assign(new Error('changed'), { errorClass: 'localChanged' })).kind, 'localChanged');
    assert.equal(classify(new Error('a bug')).kind, 'needsPerson');
    assert.equal(classify(undefined).kind, 'needsPerson');
    assert.ok(isRetryable(refused));
    assert.ok(isRetryable(new MyDropboxError('insufficient_storage', 'full')));
    assert.ok(!isRetryable(new MyDropboxError('quota_exceeded', 'full')));
  });

  it('honours Retry-After in seconds or as a date, and carries it from the answer to the class', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000 + 5_000).toUTCString(), 10_000), 5_000);
    for (const bad of [undefined, null, '', 'soon', '-1']) assert.equal(retryAfterMs(bad), undefined, String(bad));
    const limited = errorFromResponse(429, { error: { code: 'rate_limited', message: 'Too many tries.' } }, 7_000);
    assert.deepEqual(classify(limited), { kind: 'retry', afterMs: 7_000 });
    assert.equal(limited.message, 'Too many tries.');
    const bare = errorFromResponse(429, undefined, 2_000);
    assert.deepEqual(classify(bare), { kind: 'retry', afterMs: 2_000 });
    assert.deepEqual(classify(errorFromResponse(500, undefined)), { kind: 'offline' });
  });
});
