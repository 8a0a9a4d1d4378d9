// What a failed step leaves for the next plan (executor.ts outcomeOf, over shared's classify) for the local path refusals.
import assert from 'node:assert/strict';
import { outcomeOf } from '../../src/sync/executor';
import { UnsafeLocalPathError } from '../../src/sync/pathSafety';

describe('outcomeOf for a path the folder refuses', () => {
  it('replans a write below a name that became a file since the plan (engine simulator, SIM_SEED=1 with file/folder names)', () => {
    // Listed as refused, the path below was left out of every plan, so the planner never moved the file aside and
    // the file's upload was refused by the server (a folder there) again and again.
    assert.equal(outcomeOf(new UnsafeLocalPathError('a/c/x', 'a/c', 'not a folder')), 'localChanged');
  });

  it('still refuses, and lists, a write through a link', () => {
    assert.equal(outcomeOf(new UnsafeLocalPathError('a/c/x', 'a', 'a symbolic link')), 'refused');
  });
});
