// Creates LoginAttempts: throttling state per account and per client address, shared by every process.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('LoginAttempts', (t) => {
    // "account:<username>" or "address:<ip>"; one table keeps both kinds of counters alike.
    t.string('ThrottleKey', 300).primary();
    t.integer('Failures').notNullable().defaultTo(0);
    t.bigInteger('WindowStartedAt').notNullable();
    t.integer('Lockouts').notNullable().defaultTo(0);
    t.bigInteger('LockedUntil').notNullable().defaultTo(0);
    t.bigInteger('UpdatedAt').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('LoginAttempts');
}
