/**
 * The few things the workspace SQL needs from a database connection. PGlite's instance fits it as is, and so
 * does a `pg` `Client` (its `query(text, values)` resolves to `{ rows }`): the SQL in `workspace-database.ts`
 * is plain PostgreSQL + pgvector, so a workspace can move to a real server without changing a statement.
 *
 * One session is one connection: `BEGIN` ... `COMMIT` sent through it form one transaction, so the caller
 * must not interleave two callers' statements (the store thread runs one call at a time).
 */
export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<unknown>;
}
