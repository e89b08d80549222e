/**
 * A short run of bench/soak.ts (the real service in a child process, mixed webhook + REST
 * traffic): zero errors and zero accepted notifications lost. No timing assertions; the long run
 * and its figures are `npm run bench:soak`. Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/stack.js';

const SOAK = path.join(ROOT, 'dist', 'bench', 'soak.js');

describe('resilience: short soak', () => {
  it('mixed webhook and REST traffic for a few seconds: no errors, nothing accepted is lost', async () => {
    expect(existsSync(SOAK), `${SOAK} missing: run "npm run build" first`).toBe(true);
    const { runSoak } = (await import(SOAK)) as typeof import('../../bench/soak.js');
    const r = await runSoak({ seconds: 6, rate: 300, readRate: 30, connections: 10, sampleMs: 2000 });
    expect(r.accepted).toBeGreaterThan(0);
    expect({ errors: r.errors, non2xx: r.non2xx, lost: r.lost, readErrors: r.readErrors }).toEqual({
      errors: 0,
      non2xx: 0,
      lost: 0,
      readErrors: 0,
    });
    expect(r.decisions).toBeGreaterThan(0);
  }, 120_000);
});
