// Version history in the editor against the real servers: the Timeline registered where the proposal is on, and its commands hidden while the server keeps no history.
import assert from 'node:assert/strict';
import path from 'node:path';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { registerTimeline, TIMELINE_SOURCE, type TimelineProvider } from '../../src/history';
import { glueForEachTest, type Glue } from './glue';

describe('version history in the editor', function () {
  this.timeout(60_000);
  let glue: Glue;
  glueForEachTest((g) => (glue = g));

  it('registers a Timeline source for files where the editor allows the proposal, and does without it elsewhere', () => {
    assert.equal(glue.double.timelineProviders.length, 1);
    const { scheme, provider } = glue.double.timelineProviders[0]!;
    assert.equal(scheme, 'file');
    assert.equal((provider as TimelineProvider).id, TIMELINE_SOURCE);
    assert.equal((provider as TimelineProvider).label, 'MyDropbox');
    const refusing = {
      registerTimelineProvider() {
        throw new Error("Extension 'mydropbox.mydropbox' CANNOT use API proposal: timeline.");
      },
    };
    assert.equal(registerTimeline(refusing, provider as TimelineProvider), undefined);
    assert.equal(registerTimeline({}, provider as TimelineProvider), undefined);
  });

  it('keeps the history commands hidden, and the Timeline empty, while the server keeps no history', async () => {
    glue.write('a.txt', 'one\n');
    await glue.signIn();
    assert.equal(await glue.ext.history.probe(), false);
    assert.notEqual(glue.double.contextKeys.get(CONTEXT_KEYS.historyAvailable), true);
    const provider = glue.double.timelineProviders[0]!.provider as TimelineProvider;
    const timeline = await provider.provideTimeline(glue.double.host.Uri.file(path.join(glue.folder, 'a.txt')), {}, undefined as never);
    assert.deepEqual(timeline.items, []);
  });
});
