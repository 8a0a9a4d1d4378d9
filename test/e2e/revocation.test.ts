// Revoking a device stops it at once on its data server, and a restarted data server learns it within one health poll (13.5).
import assert from 'node:assert/strict';
import { startStack, uploadFile, type Stack, type StackUser } from '../support/stack';

const POLL_MS = 300;

async function listFiles(user: Pick<StackUser, 'accessToken' | 'dataServerUrl'>): Promise<{ status: number; message: string }> {
  const res = await fetch(`${user.dataServerUrl}/v1/files`, { headers: { authorization: `Bearer ${user.accessToken}` } });
  const body = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: body.error?.message ?? '' };
}

async function revokeThroughApi(stack: Stack, by: StackUser, deviceId: number): Promise<void> {
  const res = await fetch(`${stack.apiUrl}/devices/${deviceId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${by.deviceToken}` },
  });
  assert.equal(res.status, 204);
}

async function deviceIdOf(stack: Stack, user: StackUser): Promise<number> {
  return (await stack.services.devices.authenticate(user.deviceToken)).deviceId;
}

describe('revocation reaches the data servers (13.5)', function () {
  this.timeout(60_000);
  let stack: Stack;

  before(async () => (stack = await startStack({ healthPollMs: POLL_MS })));
  after(async () => stack?.close());

  it('refuses a revoked device on its very next request, uploads included, and leaves the other devices alone', async () => {
    const laptop = await stack.signUpAndSignIn();
    const phone = await stack.services.accounts.signIn({
      username: laptop.username,
      password: laptop.password,
      clientAddress: '127.0.0.1',
      deviceKind: 'daemon',
    });
    const phoneUser = {
      ...laptop,
      deviceToken: phone.deviceToken,
      accessToken: (await stack.services.accessTokens.issue(phone.deviceToken)).accessToken,
    };
    assert.equal((await listFiles(laptop)).status, 200);

    const started = performance.now();
    await revokeThroughApi(stack, phoneUser, await deviceIdOf(stack, laptop));
    const refused = await listFiles(laptop);
    const elapsed = performance.now() - started;
    assert.equal(refused.status, 401);
    assert.match(refused.message, /signed out/);
    await assert.rejects(uploadFile(laptop, 'after-revoke.txt', Buffer.from('no')), /signed out/);
    assert.equal((await listFiles(phoneUser)).status, 200, 'the device that revoked it goes on');
    assert.deepEqual(await stack.services.files.list(laptop.username), [], 'nothing was uploaded');
    console.log(`      (time to refusal after revoking: ${elapsed.toFixed(0)} ms, the revoke call included)`);
  });

  it('a data server restarted after the revocation refuses the device after its next health poll', async () => {
    const user = await stack.signUpAndSignIn();
    const other = await stack.signUpAndSignIn();
    const server = stack.dataServers[0];
    await server.close();
    // Revoked while the data server is down: the push cannot reach it.
    await stack.services.devices.revoke(user.username, await deviceIdOf(stack, user));
    const restarted = performance.now();
    await server.restart();
    let result = await listFiles(user);
    for (let i = 0; result.status === 200 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, POLL_MS / 10));
      result = await listFiles(user);
    }
    const elapsed = performance.now() - restarted;
    assert.equal(result.status, 401, 'refused within ten health polls');
    assert.match(result.message, /signed out/);
    assert.equal((await listFiles(other)).status, 200);
    console.log(`      (time to refusal after the restart, health poll every ${POLL_MS} ms: ${elapsed.toFixed(0)} ms)`);
  });

  it("ends a revoked device's waiting change-feed poll with 401 at once, and leaves the other devices' polls waiting", async () => {
    const laptop = await stack.signUpAndSignIn();
    const other = await stack.signUpAndSignIn();
    const cursorOf = async (user: StackUser) =>
      (
        (await (
          await fetch(`${user.dataServerUrl}/v1/changes?timeout=0`, { headers: { authorization: `Bearer ${user.accessToken}` } })
        ).json()) as {
          cursor: string;
        }
      ).cursor;
    const waitFrom = async (user: StackUser, signal?: AbortSignal) =>
      fetch(`${user.dataServerUrl}/v1/changes?timeout=25&cursor=${encodeURIComponent(await cursorOf(user))}`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
        signal,
      });
    const stillWaiting = new AbortController();
    const otherPoll = waitFrom(other, stillWaiting.signal).catch(() => 'aborted');
    const laptopPoll = waitFrom(laptop);
    await new Promise((r) => setTimeout(r, 200)); // both polls are waiting on the server
    await stack.services.devices.revoke(laptop.username, await deviceIdOf(stack, laptop));
    // Without the push ending it, this poll would answer 200 after 25 s (past mocha's limit for this test).
    const ended = await laptopPoll;
    assert.equal(ended.status, 401);
    assert.match(((await ended.json()) as { error: { message: string } }).error.message, /signed out/);
    const raced = await Promise.race([otherPoll, new Promise((r) => setTimeout(() => r('still waiting'), 300))]);
    assert.equal(raced, 'still waiting', "another account's poll is not ended");
    stillWaiting.abort();
    await otherPoll;
  }).timeout(15_000);

  it('only the router may sign devices out on a data server', async () => {
    const user = await stack.signUpAndSignIn();
    const id = await deviceIdOf(stack, user);
    for (const authorization of [`Bearer ${user.accessToken}`, 'Bearer nonsense', '']) {
      const res = await fetch(`${user.dataServerUrl}/revocations`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceIds: [id] }),
      });
      assert.ok(res.status === 401 || res.status === 403, `${authorization}: ${res.status}`);
      await res.arrayBuffer();
    }
    assert.equal((await listFiles(user)).status, 200);
  });
});
