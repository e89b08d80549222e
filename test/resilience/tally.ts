import type { Db } from '../../src/db/connection/database.js';

/** Counts cases per class and prints the summary table the issue asks for. */
export class Tally {
  private readonly rows = new Map<string, { tried: number; passed: number; failures: string[] }>();

  constructor(private readonly area: string) {}

  record(cls: string, passed: boolean, what = ''): void {
    const row = this.rows.get(cls) ?? { tried: 0, passed: 0, failures: [] };
    row.tried += 1;
    if (passed) row.passed += 1;
    else if (row.failures.length < 5) row.failures.push(what);
    this.rows.set(cls, row);
  }

  failures(): string[] {
    return [...this.rows.entries()].flatMap(([cls, r]) => r.failures.map((f) => `${cls}: ${f}`));
  }

  total(): { tried: number; passed: number } {
    let tried = 0;
    let passed = 0;
    for (const r of this.rows.values()) {
      tried += r.tried;
      passed += r.passed;
    }
    return { tried, passed };
  }

  print(): void {
    const lines = [`\n| ${this.area} | cases tried | passed |`, '|---|---:|---:|'];
    for (const [cls, r] of this.rows) lines.push(`| ${cls} | ${r.tried} | ${r.passed} |`);
    const t = this.total();
    lines.push(`| **total** | **${t.tried}** | **${t.passed}** |`);
    console.log(lines.join('\n'));
  }
}

/** Row count of every table: compare two snapshots to prove nothing was written. */
export function tableCounts(db: Db): Record<string, number> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  return Object.fromEntries(
    tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]),
  );
}

export function integrityOk(db: Db): boolean {
  return (db.pragma('integrity_check', { simple: true }) as string) === 'ok';
}

/** Own property names of Object.prototype plus a probe: any pollution shows as a difference. */
export function prototypeFingerprint(): string {
  const probe = {} as Record<string, unknown>;
  return JSON.stringify([
    Object.getOwnPropertyNames(Object.prototype).sort(),
    probe.polluted,
    probe.isAdmin,
    Object.keys(probe),
  ]);
}
