// FileBlocks: the 4 MiB blocks of each live file, in order; what makes dedup and zero-payload copies possible.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('FileBlocks', (t) => {
    t.string('Owner', 255).notNullable();
    t.specificType('PathKey', 'char(64)').notNullable();
    t.integer('Idx').notNullable();
    t.specificType('Hash', 'char(64)').notNullable();
    t.primary(['Owner', 'PathKey', 'Idx']);
    if (knex.client.config.client !== 'better-sqlite3') t.collate('utf8mb4_bin');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('FileBlocks');
}
