// The real PostgreSQL on this machine, one random schema per test, dropped afterwards.
// CLIPMATCH_TEST_DATABASE_URL points elsewhere; .ci/run starts the server when it is not answering.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.CLIPMATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/** A schema name no other test uses; nothing is created until a catalogue opens it. */
export function testSchema(prefix = 't'): TestSchema {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  return {
    url: TEST_DATABASE_URL,
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
