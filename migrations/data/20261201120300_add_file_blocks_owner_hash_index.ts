// "Does this user already hold block H, and where?" is asked for every block of every upload.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('FileBlocks', (t) => {
    t.index(['Owner', 'Hash'], 'file_blocks_owner_hash');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('FileBlocks', (t) => {
    t.dropIndex(['Owner', 'Hash'], 'file_blocks_owner_hash');
  });
}
