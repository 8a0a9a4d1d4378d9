// The folder planner on a table of cases: what is made, removed, recorded or left alone.
import assert from 'node:assert/strict';
import { planFolders, type FolderTrees } from '../../src/sync/folderPlanner';

interface Sets {
  local?: string[];
  remote?: string[];
  explicit?: string[];
  synced?: string[];
  keepThere?: string[];
  full?: string[];
  filesIn?: string[];
  skipped?: string[];
}

function trees(t: Sets): FolderTrees {
  return {
    local: new Set(t.local ?? []),
    remote: new Set(t.remote ?? []),
    explicit: new Set(t.explicit ?? []),
    synced: new Set(t.synced ?? []),
    keepThere: new Set(t.keepThere ?? []),
    emptyHere: (p) => !(t.full ?? []).includes(p),
    filesThere: (p) => (t.filesIn ?? []).includes(p),
    skip: (p) => (t.skipped ?? []).includes(p),
  };
}
const kinds = (t: FolderTrees) => planFolders(t).map((a) => `${a.kind} ${a.path}`);

describe('folder planner', () => {
  it('makes a new empty folder on the other side, each way', () => {
    assert.deepEqual(kinds(trees({ local: ['a'] })), ['createRemote a']);
    assert.deepEqual(kinds(trees({ remote: ['a'], explicit: ['a'] })), ['mkdirLocal a']);
  });
  it('leaves a new folder with files in it to its files', () => {
    assert.deepEqual(kinds(trees({ local: ['a'], full: ['a'] })), []);
  });
  it('records a folder both sides have, forgets one neither has', () => {
    assert.deepEqual(kinds(trees({ local: ['a'], remote: ['a'] })), ['record a']);
    assert.deepEqual(kinds(trees({ synced: ['a'] })), ['record a']);
  });
  it('removes a folder removed on the other side, deepest first; on the server only an explicit one with no files and nothing new in it', () => {
    assert.deepEqual(kinds(trees({ local: ['a', 'a/b'], synced: ['a', 'a/b'] })), ['rmdirLocal a/b', 'rmdirLocal a']);
    assert.deepEqual(kinds(trees({ remote: ['a', 'a/b'], explicit: ['a', 'a/b'], synced: ['a', 'a/b'] })), [
      'deleteRemote a/b',
      'deleteRemote a',
    ]);
    assert.deepEqual(kinds(trees({ remote: ['a'], explicit: ['a'], synced: ['a'], filesIn: ['a'] })), []);
    assert.deepEqual(kinds(trees({ remote: ['a'], synced: ['a'] })), [], 'implied by files: their deletes come first');
    assert.deepEqual(kinds(trees({ remote: ['a', 'a/new'], explicit: ['a', 'a/new'], synced: ['a'] })), ['mkdirLocal a/new']);
  });
  it('keeps a folder this device emptied on the server', () => {
    assert.deepEqual(kinds(trees({ local: ['a'], synced: ['a'], keepThere: ['a'] })), ['createRemote a']);
  });
  it('leaves alone what it is told to (a file of that name, a link, an ignored folder)', () => {
    assert.deepEqual(kinds(trees({ local: ['a'], remote: ['b'], explicit: ['b'], skipped: ['a', 'b'] })), []);
  });
});
