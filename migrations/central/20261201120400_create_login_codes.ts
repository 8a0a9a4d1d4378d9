// Creates LoginCodes: short-lived one-time codes (hashed) that a signed-in user hands to a new client.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('LoginCodes', (t) => {
    t.string('CodeHash', 64).primary();
    t.string('Username', 255).notNullable().references('Username').inTable('Users').onDelete('CASCADE').index('LoginCodes_Username_index');
    t.bigInteger('CreatedAt').notNullable();
    t.bigInteger('ExpiresAt').notNullable();
    t.bigInteger('UsedAt').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('LoginCodes');
}
