// Folders in the change feed: each folder row takes a sequence number from the same series as Files, and a removed folder stays as a tombstone (Deleted), so devices learn of both at once.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Folders', (t) => {
    t.bigInteger('Seq').notNullable().defaultTo(0);
    t.boolean('Deleted').notNullable().defaultTo(false);
    t.index(['Owner', 'Seq'], 'folders_owner_seq');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Folders', (t) => {
    t.dropIndex(['Owner', 'Seq'], 'folders_owner_seq');
    t.dropColumn('Deleted');
    t.dropColumn('Seq');
  });
}
