// Creates DataServers exactly as the seed had it: one row per data server, MaxCapacity in GB.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('DataServers', (t) => {
    t.integer('ServerId').primary();
    t.integer('MaxCapacity').notNullable();
    t.string('IpAddr', 255).notNullable();
    t.string('ListeningPort', 20).notNullable();
    t.boolean('Available').notNullable().defaultTo(true);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('DataServers');
}
