import { execa, execaSync } from 'execa';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ServiceMetrics, type MetricsLookups } from '../../src/metrics/service-metrics.js';
import { FakeClock } from '../../src/shared/clock.js';

const FILE = new URL('../../deploy/infraai-rules.yml', import.meta.url).pathname;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const lookups: MetricsLookups = {
  pendingApprovals: () => 0,
  oldestPendingAgeSeconds: () => 0,
  queuedActions: () => 0,
  firingAlerts: () => [],
  decisionLabels: () => undefined,
  actionType: () => undefined,
};

/** Sample names the service can expose (histograms add _bucket/_sum/_count). */
function exposedNames(): Set<string> {
  const m = new ServiceMetrics(lookups, new FakeClock(), 'test');
  const names = new Set<string>(['up']);
  for (const line of m.registry.render().split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!t?.[1]) continue;
    names.add(t[1]);
    if (t[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${t[1]}${s}`);
  }
  return names;
}

describe('deploy/infraai-rules.yml', () => {
  const doc = parse(readFileSync(FILE, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('is a Prometheus rule file whose alerts are complete', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'InfraAIDown',
        'InfraAIApprovalWaitingTooLong',
        'InfraAIRollbackFailed',
        'InfraAIWebhookErrors',
        'InfraAITerraformSlow',
      ]),
    );
    for (const r of rules) {
      expect(r.expr.trim(), r.alert).not.toBe('');
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels.severity);
      expect(r.labels.component, r.alert).toBe('infraai');
      expect(r.annotations.summary, r.alert).toBeTruthy();
      if (r.for !== undefined) expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('only uses metrics the service exposes', () => {
    const known = exposedNames();
    for (const r of rules) {
      const used = r.expr.match(/\b(?:infraai_[a-z_]+|up)\b(?=\s*[{[)>=<!]|\s*$)/g) ?? [];
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const name of used) expect(known, `${r.alert} uses ${name}`).toContain(name);
    }
  });

  // CI installs promtool (.ci/run); elsewhere a missing promtool shows up as a named skip, never a pass.
  const promtool = execaSync('promtool', ['--version'], { reject: false }).exitCode === 0;
  if (!promtool)
    console.warn(
      'infraai-rules: promtool is not installed; skipping `promtool check rules` (apt-get install prometheus)',
    );
  it.skipIf(!promtool)('passes promtool check rules (skipped when promtool is not installed)', async () => {
    const r = await execa('promtool', ['check', 'rules', FILE], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
});
