// Creates Users with the seed's columns; Password holds the argon2id hash, never the password itself.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('Users', (t) => {
    t.string('Username', 255).primary();
    t.string('Email', 255).notNullable().unique('Users_Email_unique');
    t.string('Password', 255).notNullable();
    t.integer('DataServerId').notNullable().index('Users_DataServerId_index');
    t.bigInteger('CreatedAt').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('Users');
}
