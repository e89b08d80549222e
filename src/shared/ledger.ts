/** The append-only ledger as the domain sees it; the SQLite adapter is db/ledger/sqlite-ledger.ts. */
export interface LedgerEntry {
  kind: string;
  at: string;
  fingerprint?: string | null;
  incidentId?: string | null;
  decisionId?: string | null;
  actionId?: string | null;
  runId?: string | null;
  actor?: string | null;
  /** Already redacted. */
  data?: Record<string, unknown>;
}

export interface LedgerRow extends Required<Omit<LedgerEntry, 'data'>> {
  id: number;
  data: Record<string, unknown>;
}

/** Append-only ledger: every step of every alert, decision and action. */
export interface Ledger {
  /** Appends one entry. Call inside the same transaction as the state change it records. */
  append(entry: LedgerEntry): void;
  /** Entries linked to any of the given ids, oldest first. */
  list(filter: {
    actionId?: string;
    incidentId?: string;
    decisionId?: string;
    kind?: string;
    limit?: number;
  }): LedgerRow[];
}
