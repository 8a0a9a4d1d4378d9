// Adds LoginCodes.DeviceId: the browser session that made the code; the code is worthless once that session ends.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('LoginCodes', (t) => {
    t.integer('DeviceId').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('LoginCodes', (t) => {
    t.dropColumn('DeviceId');
  });
}
