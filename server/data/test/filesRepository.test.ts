// The Files repository contract and the data migrations, run against MariaDB and SQLite alike.
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { migrateLatest, migrateRollbackAll, openDatabase } from '@mydropbox/server-common';
import { contentHashOfBlocks } from '@mydropbox/shared';
import { FilesRepository, EMPTY_CONTENT_HASH, pathKey } from '../src/store/filesRepository';
import { createTestDatabase, DATABASE_KINDS, TestDatabase } from '../../../test/support/databases';

const h = (n: number) => n.toString(16).padStart(64, '0');

for (const kind of DATABASE_KINDS) {
  describe(`data migrations and Files repository (${kind})`, function () {
    let testDb: TestDatabase;
    let db: Knex;
    let repo: FilesRepository;

    before(async () => {
      testDb = await createTestDatabase(kind);
      db = openDatabase(testDb.url);
      await migrateLatest(db, 'data');
      repo = new FilesRepository(db);
    });

    after(async () => {
      await db?.destroy();
      await testDb?.drop();
    });

    beforeEach(async () => {
      await db('FileBlocks').delete();
      await db('Files').delete();
    });

    it('keeps the seed columns and adds the new ones', async () => {
      const columns = Object.keys(await db('Files').columnInfo());
      for (const c of ['Filepath', 'Owner', 'LastModified', 'PathKey', 'Size', 'ContentHash', 'Rev', 'Seq', 'Deleted', 'ModifiedAt']) {
        assert.ok(columns.includes(c), `Files.${c}`);
      }
      assert.deepEqual(Object.keys(await db('FileBlocks').columnInfo()).sort(), ['Hash', 'Idx', 'Owner', 'PathKey']);
    });

    it('writes a file with its blocks, revision 1 and sequence 1', async () => {
      const blocks = [h(1), h(2)];
      const [row] = await repo.apply('alice', [
        { kind: 'put', path: 'a/b.txt', size: 5_000_000, contentHash: contentHashOfBlocks(blocks), modifiedAt: 1000, blocks },
      ]);
      assert.deepEqual(row, {
        path: 'a/b.txt',
        size: 5_000_000,
        contentHash: contentHashOfBlocks(blocks),
        rev: 1,
        seq: 1,
        deleted: false,
        modifiedAt: 1000,
        device: null,
      });
      assert.deepEqual(await repo.getLive('alice', 'a/b.txt'), row);
      assert.deepEqual(await repo.blocksOf('alice', 'a/b.txt'), blocks);
      const raw = await db('Files').where({ Owner: 'alice' }).first();
      assert.equal(raw.LastModified, new Date(1000).toISOString());
      assert.equal(raw.PathKey, pathKey('a/b.txt'));
    });

    it('keeps two users apart: same path, separate rows, revisions and sequences', async () => {
      await repo.apply('alice', [{ kind: 'put', path: 'x', size: 1, contentHash: h(9), modifiedAt: 1, blocks: [h(9)] }]);
      const [bob] = await repo.apply('bob', [{ kind: 'put', path: 'x', size: 2, contentHash: h(8), modifiedAt: 1, blocks: [h(8)] }]);
      assert.equal(bob.rev, 1);
      assert.equal(bob.seq, 1);
      assert.equal((await repo.getLive('alice', 'x'))?.size, 1);
      assert.deepEqual((await repo.holders('alice', [h(8)])).size, 0);
      assert.equal((await repo.holders('bob', [h(8)])).get(h(8))?.[0].path, 'x');
    });

    it('treats owners and paths byte for byte (no case folding)', async () => {
      await repo.apply('alice', [{ kind: 'put', path: 'Readme', size: 1, contentHash: h(1), modifiedAt: 1, blocks: [h(1)] }]);
      assert.equal(await repo.getLive('alice', 'README'), undefined);
      assert.equal(await repo.getLive('Alice', 'Readme'), undefined);
    });

    it('turns a delete into a tombstone whose revision keeps counting, and frees its blocks', async () => {
      await repo.apply('alice', [{ kind: 'put', path: 'f', size: 3, contentHash: h(3), modifiedAt: 1, blocks: [h(3)] }]);
      const [gone] = await repo.apply('alice', [{ kind: 'delete', path: 'f', modifiedAt: 2 }]);
      assert.equal(gone.deleted, true);
      assert.equal(gone.rev, 2);
      assert.equal(gone.contentHash, EMPTY_CONTENT_HASH);
      assert.equal(await repo.getLive('alice', 'f'), undefined);
      assert.equal((await repo.get('alice', 'f'))?.deleted, true);
      assert.deepEqual(await repo.blocksOf('alice', 'f'), []);
      assert.equal((await repo.holders('alice', [h(3)])).size, 0);
      const [back] = await repo.apply('alice', [{ kind: 'put', path: 'f', size: 3, contentHash: h(3), modifiedAt: 3, blocks: [h(3)] }]);
      assert.equal(back.rev, 3);
      assert.equal(back.seq, 3);
    });

    it('lists live files sorted, sums usage, and reports changes in sequence order', async () => {
      await repo.apply('alice', [
        { kind: 'put', path: 'b', size: 10, contentHash: h(1), modifiedAt: 1, blocks: [h(1)] },
        { kind: 'put', path: 'a', size: 20, contentHash: h(2), modifiedAt: 1, blocks: [h(2)] },
        { kind: 'put', path: 'c', size: 4_000_000_000, contentHash: h(3), modifiedAt: 1, blocks: [h(3)] },
      ]);
      await repo.apply('alice', [{ kind: 'delete', path: 'b', modifiedAt: 2 }]);
      assert.deepEqual(
        (await repo.listLive('alice')).map((f) => f.path),
        ['a', 'c'],
      );
      assert.deepEqual(await repo.usage('alice'), { usedBytes: 4_000_000_020, fileCount: 2 });
      assert.deepEqual(await repo.usage('nobody'), { usedBytes: 0, fileCount: 0 });
      assert.equal(await repo.maxSeq('alice'), 4);
      const changes = await repo.changesSince('alice', 1, 10);
      assert.deepEqual(
        changes.map((c) => [c.path, c.seq, c.deleted]),
        [
          ['a', 2, false],
          ['c', 3, false],
          ['b', 4, true],
        ],
      );
      assert.equal((await repo.changesSince('alice', 0, 2)).length, 2);
    });

    it('finds holders of a block in live files only, at the right index', async () => {
      const blocks = [h(5), h(6), h(5)];
      await repo.apply('alice', [
        { kind: 'put', path: 'big', size: 10_000_000, contentHash: contentHashOfBlocks(blocks), modifiedAt: 1, blocks },
      ]);
      const holders = await repo.holders('alice', [h(6), h(5), h(7)]);
      assert.deepEqual(holders.get(h(6)), [{ path: 'big', idx: 1, size: 10_000_000 }]);
      assert.equal(holders.get(h(5))?.length, 2);
      assert.equal(holders.has(h(7)), false);
    });

    it('stores a 4096-byte path and many blocks in one commit', async () => {
      const longPath = Array.from({ length: 16 }, () => 'é'.repeat(127))
        .join('/')
        .slice(0, 4000);
      const blocks = Array.from({ length: 1300 }, (_, i) => h(i + 1));
      await repo.apply('alice', [
        { kind: 'put', path: longPath, size: 1300 * 4 * 1024 * 1024, contentHash: contentHashOfBlocks(blocks), modifiedAt: 1, blocks },
      ]);
      assert.equal((await repo.getLive('alice', longPath))?.path, longPath);
      assert.deepEqual(await repo.blocksOf('alice', longPath), blocks);
      assert.equal((await repo.liveAmong('alice', [longPath, 'nope'])).length, 1);
    });

    it('rolls a failed batch back as a whole', async () => {
      await repo.apply('alice', [{ kind: 'put', path: 'keep', size: 1, contentHash: h(1), modifiedAt: 1, blocks: [h(1)] }]);
      // The second write breaks a NOT NULL column, so the first must not survive either.
      await assert.rejects(
        repo.apply('alice', [
          { kind: 'put', path: 'new1', size: 1, contentHash: h(1), modifiedAt: 1, blocks: [h(1)] },
          { kind: 'put', path: 'new2', size: 1, contentHash: null as unknown as string, modifiedAt: 1, blocks: [h(1)] },
        ]),
      );
      assert.equal(await repo.getLive('alice', 'new1'), undefined);
      assert.equal(await repo.maxSeq('alice'), 1);
    });

    it('migrates all the way down and up again', async () => {
      await migrateRollbackAll(db, 'data');
      assert.equal(await db.schema.hasTable('Files'), false);
      assert.equal(await db.schema.hasTable('FileBlocks'), false);
      await migrateLatest(db, 'data');
      assert.equal(await db.schema.hasTable('Files'), true);
      assert.equal(await db.schema.hasTable('FileBlocks'), true);
    });
  });
}
