// The change feed reads a user's rows in Seq order; Seq is unique per user.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Files', (t) => {
    t.unique(['Owner', 'Seq'], { indexName: 'files_owner_seq' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Files', (t) => {
    t.dropUnique(['Owner', 'Seq'], 'files_owner_seq');
  });
}
