import type Database from 'better-sqlite3';

/**
 * Changes to tables that already exist in older databases. schema.sql creates what is missing;
 * a migration alters what is there (ADD COLUMN, backfills). Append only; never edit a shipped one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: Migration[] = [];

export const SCHEMA_VERSION = 1;
