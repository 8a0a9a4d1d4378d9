// Files: one row per path a user ever had; deleted paths stay as tombstones so revisions and the change feed continue.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('Files', (t) => {
    // Seed columns, kept by name. Filepath grew from 255 to the 4096 bytes a path may have.
    t.string('Filepath', 4096).notNullable();
    t.string('Owner', 255).notNullable();
    t.string('LastModified', 255).notNullable(); // ISO-8601 of ModifiedAt, for people reading the table
    // PathKey = sha256(Filepath): paths are longer than any MySQL index allows.
    t.specificType('PathKey', 'char(64)').notNullable();
    t.bigInteger('Size').notNullable().defaultTo(0);
    t.specificType('ContentHash', 'char(64)').notNullable();
    t.bigInteger('Rev').notNullable();
    t.bigInteger('Seq').notNullable();
    t.boolean('Deleted').notNullable().defaultTo(false);
    t.bigInteger('ModifiedAt').notNullable();
    t.primary(['Owner', 'PathKey']);
    // Binary collation: owners and paths compare byte for byte, as on disk.
    if (knex.client.config.client !== 'better-sqlite3') t.collate('utf8mb4_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('Files');
}
