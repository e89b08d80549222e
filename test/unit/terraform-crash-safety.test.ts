import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleLockNote } from '../../src/executor/stale-lock.js';
import { differencesOf, interruptedStateOf, summaryOf } from '../../src/executor/interrupted-state.js';
import type { PlanJson } from '../../src/plan/plan-json.js';

function plan(
  changes: Array<{ address: string; actions: string[]; reason?: string; before?: unknown; after?: unknown }>,
  tainted: string[] = [],
): PlanJson {
  return {
    format_version: '1.2',
    prior_state: {
      values: { root_module: { resources: tainted.map((address) => ({ address, tainted: true })), child_modules: [] } },
    },
    resource_changes: changes.map((c) => ({
      address: c.address,
      mode: 'managed',
      type: 'terraform_data',
      name: 'x',
      ...(c.reason ? { action_reason: c.reason } : {}),
      change: { actions: c.actions, before: c.before ?? null, after: c.after ?? null },
    })),
  };
}

describe('crash safety helpers', () => {
  it('names a lock info file Terraform left behind, with its id and the force-unlock command', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-lock-'));
    expect(staleLockNote(dir)).toBeUndefined();
    writeFileSync(
      path.join(dir, '.terraform.tfstate.lock.info'),
      JSON.stringify({ ID: 'b1e2-lock', Operation: 'OperationTypeApply' }),
    );
    expect(staleLockNote(dir)).toContain('terraform force-unlock b1e2-lock');
  });
});

describe('what an interrupted apply left (plan of the files against the state)', () => {
  it('says what each difference means: tainted, left by the apply, lost, attributes differing', () => {
    const d = differencesOf(
      plan([
        { address: 'a.t[0]', actions: ['delete', 'create'], reason: 'replace_because_tainted' },
        { address: 'a.c[2]', actions: ['delete'], reason: 'delete_because_count_index' },
        { address: 'a.k["x"]', actions: ['delete'], reason: 'delete_because_each_key' },
        { address: 'a.gone', actions: ['create'] },
        {
          address: 'a.u',
          actions: ['update'],
          before: { input: { n: 2, m: 'a' } },
          after: { input: { n: 3, m: 'a' } },
        },
        { address: 'a.same', actions: ['no-op'] },
        { address: 'data.a.r', actions: ['read'] },
      ]),
    );
    expect(d.map((x) => [x.address, x.action, x.terraform_reason])).toEqual([
      ['a.t[0]', 'replace', 'replace_because_tainted'],
      ['a.c[2]', 'delete', 'delete_because_count_index'],
      ['a.k["x"]', 'delete', 'delete_because_each_key'],
      ['a.gone', 'create', null],
      ['a.u', 'update', null],
    ]);
    expect(d[0]!.meaning).toMatch(/^tainted/);
    expect(d[1]!.meaning).toMatch(/not in the configuration/);
    expect(d[2]!.meaning).toBe(d[1]!.meaning);
    expect(d[3]!.meaning).toMatch(/not in the state/);
    expect(d[4]!.attributes).toEqual(['input.n']);
    expect(summaryOf(d).split('\n')).toHaveLength(5);
    expect(summaryOf([])).toMatch(/matches/);
  });

  it('a tainted instance the files do not have (a new count instance whose provisioner was cut short) says so', () => {
    const d = differencesOf(
      plan(
        [
          { address: 'a.c[1]', actions: ['delete'], reason: 'delete_because_count_index' },
          { address: 'a.c[2]', actions: ['delete'], reason: 'delete_because_count_index' },
        ],
        ['a.c[2]'],
      ),
    );
    expect(d.map((x) => x.tainted)).toEqual([false, true]);
    expect(d[1]!.meaning).toMatch(/^tainted and in the state but not in the configuration/);
    expect(summaryOf(d)).toMatch(/a\.c\[2\]: delete — tainted/);
  });

  it('names differing attributes, never their values', () => {
    const d = differencesOf(
      plan([
        {
          address: 'a.s',
          actions: ['update'],
          before: { input: { password: 'old-s3cret' } },
          after: { input: { password: 'new-s3cret' } },
        },
      ]),
    );
    expect(d[0]!.attributes).toEqual(['input.password']);
    expect(JSON.stringify(d)).not.toMatch(/s3cret/);
  });

  it('reads the state stored on an action result, and nothing else', () => {
    expect(interruptedStateOf(null)).toBeNull();
    expect(interruptedStateOf({ success: false })).toBeNull();
    expect(interruptedStateOf({ interrupted_state: 'x' })).toBeNull();
    expect(interruptedStateOf({ interrupted_state: { outcome: 'matches' } })).toEqual({ outcome: 'matches' });
  });
});
