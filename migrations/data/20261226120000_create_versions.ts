// Version history: what a path held before an overwrite, delete, move or restore replaced it, kept as a list of blocks.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const binary = knex.client.config.client !== 'better-sqlite3';
  // Who wrote a file's content (a device name, "Website", "WebDAV"), or for a tombstone who deleted it.
  await knex.schema.alterTable('Files', (t) => {
    t.string('Device', 255).nullable();
  });
  await knex.schema.createTable('Versions', (t) => {
    t.specificType('Id', 'char(32)').notNullable().primary(); // random hex: ids cannot be guessed across users
    t.string('Owner', 255).notNullable();
    t.specificType('PathKey', 'char(64)').notNullable(); // sha256(Filepath), as in Files
    t.string('Filepath', 4096).notNullable();
    t.bigInteger('Size').notNullable();
    t.specificType('ContentHash', 'char(64)').notNullable();
    t.bigInteger('Rev').notNullable();
    t.bigInteger('ModifiedAt').notNullable();
    t.bigInteger('ReplacedAt').notNullable();
    t.string('Device', 255).nullable();
    t.string('Reason', 16).notNullable();
    t.index(['Owner', 'PathKey', 'ReplacedAt'], 'versions_owner_path');
    t.index(['ReplacedAt'], 'versions_replaced_at');
    if (binary) t.collate('utf8mb4_bin');
  });
  // The blocks of each version, in order.
  await knex.schema.createTable('VersionBlocks', (t) => {
    t.specificType('VersionId', 'char(32)').notNullable();
    t.integer('Idx').notNullable();
    t.string('Owner', 255).notNullable();
    t.specificType('Hash', 'char(64)').notNullable();
    t.primary(['VersionId', 'Idx']);
    t.index(['Owner', 'Hash'], 'version_blocks_owner_hash');
    if (binary) t.collate('utf8mb4_bin');
  });
  // Where the bytes of each block a version needs are kept: one copy per user and hash, in a pack file.
  await knex.schema.createTable('VersionBlobs', (t) => {
    t.string('Owner', 255).notNullable();
    t.specificType('Hash', 'char(64)').notNullable();
    t.specificType('Pack', 'char(32)').notNullable();
    t.bigInteger('Offset').notNullable();
    t.integer('Length').notNullable();
    t.primary(['Owner', 'Hash']);
    t.index(['Owner', 'Pack'], 'version_blobs_owner_pack');
    if (binary) t.collate('utf8mb4_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('VersionBlobs');
  await knex.schema.dropTable('VersionBlocks');
  await knex.schema.dropTable('Versions');
  await knex.schema.alterTable('Files', (t) => {
    t.dropColumn('Device');
  });
}
