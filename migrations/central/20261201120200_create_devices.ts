// Creates Devices: one revocable device token per signed-in client, stored only as its SHA-256.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('Devices', (t) => {
    t.increments('Id').primary();
    t.string('Username', 255).notNullable().references('Username').inTable('Users').onDelete('CASCADE').index('Devices_Username_index');
    t.string('Name', 255).notNullable();
    t.string('Kind', 16).notNullable();
    t.string('TokenHash', 64).notNullable().unique('Devices_TokenHash_unique');
    t.bigInteger('CreatedAt').notNullable();
    t.bigInteger('LastSeenAt').nullable();
    t.bigInteger('RevokedAt').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('Devices');
}
