// Creates ShareLinks: read-only links to a file or folder, each known only by the SHA-256 of its token.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ShareLinks', (t) => {
    t.increments('Id').primary();
    t.string('Username', 255).notNullable().references('Username').inTable('Users').onDelete('CASCADE').index('ShareLinks_Username_index');
    t.string('TokenHash', 64).notNullable().unique('ShareLinks_TokenHash_unique');
    // Paths may be 4096 bytes; nothing looks a link up by its path, so it needs no index.
    t.text('Path').notNullable();
    t.string('Kind', 8).notNullable();
    t.string('PasswordHash', 255).nullable();
    t.bigInteger('CreatedAt').notNullable();
    t.bigInteger('ExpiresAt').nullable();
    t.bigInteger('RevokedAt').nullable();
    t.bigInteger('Downloads').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ShareLinks');
}
