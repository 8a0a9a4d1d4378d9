// Versions: the executable bit the kept content had, so a restore brings it back too. Versions from before hold false.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Versions', (t) => {
    t.boolean('Executable').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Versions', (t) => {
    t.dropColumn('Executable');
  });
}
