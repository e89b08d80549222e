/**
 * One resource type through its whole life on the local cloud, with real Terraform:
 * create → in-place update → ForceNew replacement (plan JSON replace_paths / action_reason) →
 * `-replace` → drift after an out-of-band edit → deleted out of band → destroy.
 * Used by the per-provider lifecycle tests; each case says what changes and what it expects.
 */
import { expect } from 'vitest';
import { type LocalCloud, planJson } from './local-cloud.js';

export interface LifecycleCase {
  /** Resource address in the configuration, e.g. `aws_autoscaling_group.web`. */
  address: string;
  /** Full configuration per step. */
  create: string;
  update: string;
  replace: string;
  /** What the in-place update changes: [path in `after`, before value, after value]. */
  updated: [string[], unknown, unknown];
  /** The replace_paths Terraform reports for the `replace` step. */
  replacePaths: (string | number)[][];
  /** An out-of-band edit of the stored attributes, and the drift line `plan -refresh-only` prints. */
  drift: { edit: (attrs: Record<string, any>) => void; shows: RegExp };
}

function at(value: any, path: string[]): unknown {
  return path.reduce((v, k) => (v == null ? undefined : v[k]), value);
}

function rc(plan: any, address: string): any {
  const found = plan.resource_changes?.find((r: any) => r.address === address);
  if (!found) throw new Error(`no resource change for ${address}`);
  return found;
}

export async function runLifecycle(cloud: LocalCloud, c: LifecycleCase): Promise<void> {
  const type = c.address.split('.')[0] ?? '';
  const stored = () => Object.entries(cloud.readCloudState().resources[type] ?? {});
  const plan = async (extra: string[] = []) => {
    const p = await cloud.tf(['plan', '-out=tfplan', ...extra]);
    expect(p.code, p.stderr + p.stdout).toBe(0);
    return rc(await planJson(cloud), c.address);
  };
  const apply = async () => {
    const a = await cloud.tf(['apply', 'tfplan']);
    expect(a.code, a.stderr + a.stdout).toBe(0);
  };

  cloud.write({ 'main.tf': c.create });
  const init = await cloud.tf(['init']);
  expect(init.code, init.stderr).toBe(0);
  const created = await plan();
  expect(created.change.actions).toEqual(['create']);
  expect(created.change.after_unknown.id).toBe(true);
  await apply();
  expect(stored()).toHaveLength(1);
  const [firstId] = stored()[0] ?? [];
  const clean = await cloud.tf(['plan', '-detailed-exitcode']);
  expect(clean.code, clean.stdout).toBe(0);

  cloud.write({ 'main.tf': c.update });
  const upd = await plan();
  expect(upd.change.actions).toEqual(['update']);
  expect(at(upd.change.before, c.updated[0])).toEqual(c.updated[1]);
  expect(at(upd.change.after, c.updated[0])).toEqual(c.updated[2]);
  await apply();
  expect(at(stored()[0]?.[1], c.updated[0])).toEqual(c.updated[2]);
  expect(stored()[0]?.[0]).toBe(firstId); // same object, changed in place

  cloud.write({ 'main.tf': c.replace });
  const rep = await plan();
  expect(rep.change.actions).toEqual(['delete', 'create']);
  expect(rep.action_reason).toBe('replace_because_cannot_update');
  expect(rep.change.replace_paths).toEqual(c.replacePaths);
  expect(rep.change.after_unknown.id).toBe(true);
  await apply();
  expect(stored()).toHaveLength(1);

  const forced = await plan(['-replace', c.address]);
  expect(forced.change.actions).toEqual(['delete', 'create']);
  expect(forced.action_reason).toBe('replace_by_request');
  await apply();
  expect(stored()).toHaveLength(1);

  cloud.editCloudState((s) => {
    for (const attrs of Object.values(s.resources[type] ?? {})) c.drift.edit(attrs as Record<string, any>);
  });
  const refresh = await cloud.tf(['plan', '-refresh-only']);
  expect(refresh.stdout).toContain('Objects have changed outside of Terraform');
  expect(refresh.stdout).toMatch(c.drift.shows);
  const back = await plan();
  expect(back.change.actions).toEqual(['update']); // the configuration wins back the drifted value

  cloud.editCloudState((s) => {
    s.resources[type] = {};
  });
  const gone = await plan();
  expect(gone.change.actions).toEqual(['create']);
  await apply();

  const destroy = await cloud.tf(['destroy', '-auto-approve']);
  expect(destroy.code, destroy.stderr).toBe(0);
  expect(stored()).toEqual([]);
}
