// Indexes Devices.RevokedAt: every health poll asks for the devices signed out in the last few minutes.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Devices', (t) => {
    t.index(['RevokedAt'], 'Devices_RevokedAt_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Devices', (t) => {
    t.dropIndex(['RevokedAt'], 'Devices_RevokedAt_index');
  });
}
