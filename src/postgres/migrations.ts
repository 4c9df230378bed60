/**
 * @internal The store's schema, as numbered migrations: each runs once per schema, in order, in
 * the transaction that holds the migration lock. Never edit one that shipped: add the next.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: (schema: string) => string }> = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE "${s}".jobs (
        id text PRIMARY KEY,
        status text NOT NULL,
        owner text,
        label text NOT NULL,
        created_ms bigint NOT NULL,
        settled_ms bigint,
        run_at_ms bigint,
        target text,
        idem_scope text,
        lease_runner text,
        lease_expires bigint,
        record jsonb NOT NULL
      );
      CREATE INDEX jobs_created ON "${s}".jobs (created_ms DESC, id DESC);
      CREATE INDEX jobs_status ON "${s}".jobs (status, created_ms DESC);
      CREATE INDEX jobs_owner ON "${s}".jobs (owner, status, created_ms DESC);
      CREATE INDEX jobs_label ON "${s}".jobs (label, created_ms DESC);
      CREATE INDEX jobs_settled ON "${s}".jobs (settled_ms) WHERE settled_ms IS NOT NULL;
      CREATE INDEX jobs_due ON "${s}".jobs (run_at_ms) WHERE status = 'pending' AND target IS NOT NULL;
      CREATE INDEX jobs_lease ON "${s}".jobs (lease_expires) WHERE lease_expires IS NOT NULL;
      CREATE INDEX jobs_idem ON "${s}".jobs (idem_scope, created_ms DESC) WHERE idem_scope IS NOT NULL;
    `,
  },
];
