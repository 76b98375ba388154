// The PostgreSQL commands of the `latchkey` CLI: print the migration SQL, and prune expired rows (for cron).
// The connection comes from DATABASE_URL only, so no password ever sits on a command line or in `ps`.
import { parseArgs } from 'node:util';

export const POSTGRES_USAGE = `  postgres-schema  Print the SQL that creates latchkey's session table (run it in your migrations).
                   [--schema NAME] [--table NAME]
  postgres-prune   Delete expired sessions in short batches; for a cron job. Connects to DATABASE_URL.
                   [--schema NAME] [--table NAME] [--batch N (1000)] [--max-duration 60s]
`;

/** A usage error: the message goes to stderr and the process exits with status 2. */
export class UsageError extends Error {}

interface Parsed {
  schema?: string | undefined;
  table?: string | undefined;
  batch?: string | undefined;
  'max-duration'?: string | undefined;
}

function parse(args: string[], prune: boolean): Parsed {
  const text = { type: 'string' } as const;
  const options: Record<string, typeof text> = prune ? { schema: text, table: text, batch: text, 'max-duration': text } : { schema: text, table: text };
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values as Parsed;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `postgres-schema`: the DDL on stdout. */
export async function postgresSchemaCommand(args: string[]): Promise<string> {
  const { schema, table } = parse(args, false);
  const { postgresSchema } = await import('latchkey/postgres');
  return postgresSchema({ ...(schema ? { schema } : {}), ...(table ? { table } : {}) });
}

/** `postgres-prune`: deletes expired rows; returns the line to print. */
export async function postgresPruneCommand(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const values = parse(args, true);
  const url = env.DATABASE_URL;
  if (!url) throw new UsageError('postgres-prune connects to DATABASE_URL; set it (e.g. postgres://user@host/db).');
  const batch = values.batch === undefined ? 1000 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new UsageError('--batch must be a whole number from 1 to 100000.');
  const [{ postgresStore }, { parseDuration }, pg] = await Promise.all([import('latchkey/postgres'), import('latchkey'), import('pg')]);
  let maxDuration: number;
  try {
    maxDuration = parseDuration(values['max-duration'] ?? '60s', '--max-duration');
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/^latchkey: /, '') : String(error));
  }
  const Pool = pg.Pool ?? (pg as unknown as { default: typeof pg }).default.Pool;
  const pool = new Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {});
  try {
    const store = postgresStore({ pool, listen: false, commandTimeout: '30s', ...(values.schema ? { schema: values.schema } : {}), ...(values.table ? { table: values.table } : {}) });
    const started = Date.now();
    const deleted = await store.prune({ batch, maxDuration });
    return `latchkey: pruned ${deleted} expired session${deleted === 1 ? '' : 's'} in ${Date.now() - started} ms.\n`;
  } finally {
    await pool.end();
  }
}
