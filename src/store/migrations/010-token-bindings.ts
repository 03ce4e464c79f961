import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * What a user token is bound to (SPEC §11: it dies when its app's secret changes or its user is erased):
 * - apps.secret_generation counts the app's secrets: each change of the secret (HERALD_BOOTSTRAP_SECRET
 *   set to another value) adds one, so a token of an earlier secret never verifies again, even if the
 *   secret later goes back to an old value.
 * - users.incarnation is a random value a user row gets when its first token is issued; a user erased and
 *   created again under the same id is a new row with none yet, so the old tokens name a row that is gone.
 * Neither rewrites a table (a constant default, a nullable column), and the previous version's inserts
 * still work (they leave the defaults), so a rolling upgrade is safe. Tokens issued before this
 * migration name neither and are refused: client apps fetch a new one, as after any expiry.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('apps').addColumn('secret_generation', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('users').addColumn('incarnation', 'text').execute();
}
