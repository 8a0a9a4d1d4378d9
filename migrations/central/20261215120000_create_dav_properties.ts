// Creates DavProperties: WebDAV dead properties (PROPPATCH), per user and path, moved and copied with their resource.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('DavProperties', (t) => {
    t.string('Owner', 255).notNullable();
    // PathKey = sha256(Filepath) and PropKey = sha256(namespace, name): both are too long for an index.
    t.specificType('PathKey', 'char(64)').notNullable();
    t.string('Filepath', 4096).notNullable();
    t.specificType('PropKey', 'char(64)').notNullable();
    t.text('Namespace').notNullable();
    t.text('Name').notNullable();
    t.text('Value', 'mediumtext').notNullable();
    t.primary(['Owner', 'PathKey', 'PropKey']);
    if (knex.client.config.client !== 'better-sqlite3') t.collate('utf8mb4_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('DavProperties');
}
