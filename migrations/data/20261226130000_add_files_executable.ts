// Files: the executable bit of a file (a script, a built tool), kept like its content. Rows from before hold false, as nothing stored it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Files', (t) => {
    t.boolean('Executable').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('Files', (t) => {
    t.dropColumn('Executable');
  });
}
