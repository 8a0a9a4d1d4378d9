// The router's HTTP API end to end over real HTTP and MariaDB: inputs, sign-in, throttling, tokens, sign-out.
import assert from 'node:assert/strict';
import { HealthEndpoint, RouterHarness, call, startHealthEndpoint, startRouter } from './harness';

describe('router HTTP API', () => {
  let h: RouterHarness;
  let endpoint: HealthEndpoint;
  const api = (p: string) => `${h.url}/api/v1${p}`;

  before(async () => {
    endpoint = await startHealthEndpoint();
    h = await startRouter({ kind: 'mariadb' });
    await h.services.dataServers.register({ id: 1, host: '127.0.0.1', port: endpoint.port, capacityGb: 1000 });
  });
  after(async () => {
    await h.close();
    await endpoint.close();
  });

  it('answers /healthz', async () => {
    const res = await call(`${h.url}/healthz`, 'GET');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
  });

  it('signs up over POST /api/v1/users and refuses a duplicate', async () => {
    const ok = await call(api('/users'), 'POST', {
      body: { username: 'ivy', email: 'ivy@example.com', password: 'plain sailing on the sea' },
    });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, { username: 'ivy', dataServer: { id: 1, url: `http://127.0.0.1:${endpoint.port}` } });
    const dup = await call(api('/users'), 'POST', {
      body: { username: 'ivy', email: 'ivy2@example.com', password: 'plain sailing on the sea' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'username_taken');
    const dupEmail = await call(api('/users'), 'POST', {
      body: { username: 'ivy2', email: 'IVY@example.com', password: 'plain sailing on the sea' },
    });
    assert.equal(dupEmail.status, 409);
    assert.equal(dupEmail.body.error.code, 'email_taken');
  });

  it('refuses malformed, oversized, wrongly shaped and invalid bodies with a readable 4xx', async () => {
    const cases: { body?: unknown; rawBody?: string; status: number; code: string; message?: RegExp }[] = [
      { rawBody: '{"username": "x", ', status: 400, code: 'invalid_request', message: /not valid JSON/ },
      { rawBody: '"just a string"', status: 400, code: 'invalid_request', message: /not valid JSON/ },
      {
        rawBody: JSON.stringify({ username: 'x'.repeat(20_000), email: 'a@b.io', password: 'plain sailing on the sea' }),
        status: 413,
        code: 'payload_too_large',
      },
      { body: { username: 'jack' }, status: 400, code: 'invalid_request', message: /"email"/ },
      { body: [1, 2], status: 400, code: 'invalid_request' },
      {
        body: { username: 'jack', email: 'jack@example.com', password: 'short' },
        status: 400,
        code: 'invalid_request',
        message: /at least 8 characters/,
      },
      {
        body: { username: 'ja', email: 'jack@example.com', password: 'plain sailing on the sea' },
        status: 400,
        code: 'invalid_request',
        message: /3 to 32 characters/,
      },
      {
        body: { username: 'jack', email: 'jack-at-example', password: 'plain sailing on the sea' },
        status: 400,
        code: 'invalid_request',
        message: /email/,
      },
    ];
    for (const c of cases) {
      const res = await call(api('/users'), 'POST', c);
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, c.code);
      if (c.message) assert.match(res.body.error.message, c.message);
    }
    const res = await call(api('/sessions'), 'POST', {
      body: { username: 'ivy', password: 'plain sailing on the sea', deviceKind: 'toaster' },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /deviceKind/);
    const users = await h.db('Users').where({ Username: 'jack' });
    assert.equal(users.length, 0);
  });

  it('answers unknown endpoints and methods with JSON errors', async () => {
    const res = await call(api('/nope'), 'GET');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    const wrongMethod = await call(api('/users'), 'GET');
    assert.equal(wrongMethod.status, 405);
  });

  it('signs in, serves /me and access tokens, lists devices, and signs out for good', async () => {
    const signIn = await call(api('/sessions'), 'POST', {
      body: { username: 'IVY', password: 'plain sailing on the sea', deviceName: 'Build box', deviceKind: 'daemon' },
    });
    assert.equal(signIn.status, 201);
    const token: string = signIn.body.deviceToken;
    assert.equal(signIn.body.dataServer.id, 1);
    const me = await call(api('/me'), 'GET', { token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { username: 'ivy', email: 'ivy@example.com', dataServer: signIn.body.dataServer, quotaBytes: 5_000_000_000 });
    const at = await call(api('/access-tokens'), 'POST', { token });
    assert.equal(at.status, 201);
    assert.equal(h.verifier.verify(at.body.accessToken, 1).sub, 'ivy');
    const devices = await call(api('/devices'), 'GET', { token });
    assert.deepEqual(
      devices.body.devices.map((d: { name: string }) => d.name),
      ['Build box'],
    );
    const out = await call(api('/sessions/current'), 'DELETE', { token });
    assert.equal(out.status, 204);
    for (const [method, p] of [
      ['GET', '/me'],
      ['POST', '/access-tokens'],
      ['GET', '/files'],
    ]) {
      const res = await call(api(p), method, { token });
      assert.equal(res.status, 401, `${method} ${p} after sign-out`);
      assert.equal(res.body.error.code, 'unauthorized');
    }
  });

  it('refuses requests without, or with a malformed or made-up, device token', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Basic abc' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer mdbd_madeup' },
    ]) {
      const res = await call(api('/me'), 'GET', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
  });

  it('revokes another device through DELETE /api/v1/devices/:id', async () => {
    const a = (await call(api('/sessions'), 'POST', { body: { username: 'ivy', password: 'plain sailing on the sea' } })).body.deviceToken;
    const b = (
      await call(api('/sessions'), 'POST', { body: { username: 'ivy', password: 'plain sailing on the sea', deviceKind: 'vscode' } })
    ).body;
    assert.equal((await call(api(`/devices/${b.deviceId}`), 'DELETE', { token: a })).status, 204);
    assert.equal((await call(api('/me'), 'GET', { token: b.deviceToken })).status, 401);
    assert.equal((await call(api('/me'), 'GET', { token: a })).status, 200);
    assert.equal((await call(api('/devices/abc'), 'DELETE', { token: a })).status, 400);
    assert.equal((await call(api(`/devices/${b.deviceId}`), 'DELETE', { token: a })).status, 404);
  });

  it('trades a login code for a device token once', async () => {
    const token = (await call(api('/sessions'), 'POST', { body: { username: 'ivy', password: 'plain sailing on the sea' } })).body
      .deviceToken;
    const created = await call(api('/login-codes'), 'POST', { token });
    assert.equal(created.status, 201);
    const redeemed = await call(api('/login-codes/redeem'), 'POST', { body: { code: created.body.code, deviceName: 'VS Code on laptop' } });
    assert.equal(redeemed.status, 201);
    assert.equal(redeemed.body.username, 'ivy');
    assert.equal((await call(api('/me'), 'GET', { token: redeemed.body.deviceToken })).status, 200);
    const again = await call(api('/login-codes/redeem'), 'POST', { body: { code: created.body.code } });
    assert.equal(again.status, 401);
    assert.match(again.body.error.message, /already used or has expired/);
  });

  it('answers wrong passwords with 401, then 429 with Retry-After once the account is locked', async () => {
    await call(api('/users'), 'POST', { body: { username: 'kate', email: 'kate@example.com', password: 'plain sailing on the sea' } });
    for (let i = 0; i < 5; i++) {
      const res = await call(api('/sessions'), 'POST', { body: { username: 'kate', password: `wrong${i}` } });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'bad_credentials');
    }
    const locked = await call(api('/sessions'), 'POST', { body: { username: 'kate', password: 'plain sailing on the sea' } });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'rate_limited');
    assert.equal(locked.headers.get('retry-after'), '60');
  });

  it('refuses bad download paths before contacting the data server', async () => {
    const token = (await call(api('/sessions'), 'POST', { body: { username: 'ivy', password: 'plain sailing on the sea' } })).body
      .deviceToken;
    for (const p of ['../etc/passwd', '/abs', 'a/../b', 'C:/x', 'a\\b', 'nul\u0000byte']) {
      const res = await call(api(`/files/content?path=${encodeURIComponent(p)}`), 'GET', { token });
      assert.equal(res.status, 400, p);
      assert.equal(res.body.error.code, 'invalid_path');
    }
    const none = await call(api('/files/content'), 'GET', { token });
    assert.equal(none.status, 400);
  });

  it('says server_unavailable when the user’s data server does not answer', async () => {
    const gone = await startHealthEndpoint();
    await h.services.dataServers.register({ id: 9, host: '127.0.0.1', port: gone.port, capacityGb: 1000 });
    await h.db('Users').insert({ Username: 'lost', Email: 'lost@example.com', Password: 'x', DataServerId: 9, CreatedAt: Date.now() });
    const { token } = await h.services.devices.create('lost', undefined, 'daemon').then((d) => ({ token: d.token }));
    await gone.close();
    const res = await call(api('/files'), 'GET', { token });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'server_unavailable');
    assert.match(res.body.error.message, /data server 9, which is not answering/);
  });
});

describe('router client addresses', () => {
  const spray = async (url: string, forwardedFor: (i: number) => string) => {
    for (let i = 0; i < 20; i++) {
      const res = await call(`${url}/api/v1/sessions`, 'POST', {
        body: { username: `nobody${i}`, password: 'plain sailing on the sea' },
        headers: { 'x-forwarded-for': forwardedFor(i) },
      });
      assert.equal(res.status, 401);
    }
  };

  it('ignores X-Forwarded-For unless a proxy is trusted, so a client cannot dodge the address limit', async () => {
    const h = await startRouter({ kind: 'mariadb' });
    try {
      await spray(h.url, (i) => `203.0.113.${i}`);
      const res = await call(`${h.url}/api/v1/sessions`, 'POST', {
        body: { username: 'someone', password: 'plain sailing on the sea' },
        headers: { 'x-forwarded-for': '198.51.100.1' },
      });
      assert.equal(res.status, 429);
      assert.match(res.body.error.message, /network address/);
      assert.equal(
        (await h.db('LoginAttempts').where('ThrottleKey', 'like', 'address:%')).map((r) => r.ThrottleKey).join(),
        'address:127.0.0.1',
      );
    } finally {
      await h.close();
    }
  });

  it('behind a trusted proxy, keys on the address the proxy appended (the last hop only)', async () => {
    const h = await startRouter({ kind: 'mariadb', trustProxy: true });
    try {
      // The client prepends fake addresses; the proxy appends the real one (192.0.2.50).
      await spray(h.url, (i) => `10.9.9.${i}, 192.0.2.50`);
      const same = await call(`${h.url}/api/v1/sessions`, 'POST', {
        body: { username: 'x1', password: 'plain sailing on the sea' },
        headers: { 'x-forwarded-for': '1.1.1.1, 192.0.2.50' },
      });
      assert.equal(same.status, 429);
      const other = await call(`${h.url}/api/v1/sessions`, 'POST', {
        body: { username: 'x1', password: 'plain sailing on the sea' },
        headers: { 'x-forwarded-for': '192.0.2.51' },
      });
      assert.equal(other.status, 401);
    } finally {
      await h.close();
    }
  });
});
