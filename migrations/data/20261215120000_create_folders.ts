// Folders: explicit folders (an empty folder made over WebDAV); folders that hold files stay implied by their paths.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('Folders', (t) => {
    t.string('Owner', 255).notNullable();
    // PathKey = sha256(Folderpath), as in Files: paths are longer than any MySQL index allows.
    t.specificType('PathKey', 'char(64)').notNullable();
    t.string('Folderpath', 4096).notNullable();
    t.bigInteger('CreatedAt').notNullable();
    t.primary(['Owner', 'PathKey']);
    if (knex.client.config.client !== 'better-sqlite3') t.collate('utf8mb4_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('Folders');
}
