import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/metrics/prometheus.js';
import { ServiceMetrics, type MetricsLookups } from '../../src/metrics/service-metrics.js';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus } from '../../src/shared/events.js';
import { parseExposition, sampleValue } from '../helpers/ops-api.js';
import { connectMetrics } from '../../src/compose/reactions.js';

describe('MetricsRegistry (hand-written exposition)', () => {
  it('renders counters, gauges and cumulative histogram buckets', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_requests', 'Requests.', ['code']);
    c.inc({ code: '200' });
    c.inc({ code: '200' }, 2);
    c.inc({ code: '200' }, -5); // ignored: counters never go down
    r.gauge('x_queue', 'Queue.', [], () => [{ value: 7 }]);
    const hist = r.histogram('x_seconds', 'Durations.', ['op'], [0.5, 1, 5]);
    hist.observe({ op: 'plan' }, 0.7);
    hist.observe({ op: 'plan' }, 3);
    const text = r.render();
    expect(text).toContain('# TYPE x_requests_total counter\nx_requests_total{code="200"} 3\n');
    expect(text).toContain('# TYPE x_queue gauge\nx_queue 7\n');
    expect(text).toContain(
      'x_seconds_bucket{op="plan",le="0.5"} 0\nx_seconds_bucket{op="plan",le="1"} 1\nx_seconds_bucket{op="plan",le="5"} 2\n' +
        'x_seconds_bucket{op="plan",le="+Inf"} 2\nx_seconds_sum{op="plan"} 3.7\nx_seconds_count{op="plan"} 2\n',
    );
    expect(() => parseExposition(text)).not.toThrow();
  });

  it('escapes label values and survives a failing collector', () => {
    const r = new MetricsRegistry();
    r.counter('y', 'Quote " and \\ backslash\nnewline.', ['v']).inc({ v: 'a"b\\c\nd' });
    r.gauge('broken', 'Throws.', [], () => {
      throw new Error('db closed');
    });
    const failed: string[] = [];
    const text = r.render((name) => failed.push(name));
    expect(text).toContain('y_total{v="a\\"b\\\\c\\nd"} 1');
    expect(text).toContain('# HELP y_total Quote " and \\\\ backslash\\nnewline.');
    expect(text).not.toContain('broken');
    expect(failed).toEqual(['broken']);
    expect(parseExposition(text).samples[0]?.labels.v).toBe('a"b\\c\nd');
  });

  it('refuses invalid names and duplicate registration', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => r.counter('ok', 'x', ['le'])).toThrow(/invalid label/);
    r.counter('dup', 'x');
    expect(() => r.gauge('dup', 'x')).toThrow(/twice/);
  });
});

describe('ServiceMetrics', () => {
  const lookups: MetricsLookups = {
    pendingApprovals: () => 2,
    oldestPendingAgeSeconds: () => 90,
    queuedActions: () => 4,
    firingAlerts: () => [{ severity: 'critical', n: 3 }],
    decisionLabels: (id) => (id === 'dec-1' ? { action: 'scale_up', source: 'rules' } : undefined),
    actionType: (id) => (id === 'act-1' ? 'scale_up' : undefined),
  };

  it('counts EventBus events with labels looked up from the database', () => {
    const bus = new InProcessEventBus();
    const m = new ServiceMetrics(lookups, new FakeClock(), '1.2.3');
    const off = connectMetrics(bus, m);
    bus.publish({ type: 'alert.received', fingerprint: 'f', status: 'firing', incidentId: null });
    bus.publish({ type: 'decision.created', decisionId: 'dec-1', incidentId: 'i', status: 'proposed' });
    bus.publish({ type: 'decision.created', decisionId: 'dec-x', incidentId: 'i', status: 'proposed' });
    bus.publish({
      type: 'approval.recorded',
      actionId: 'act-1',
      verdict: 'approve',
      outcome: 'accepted',
      channel: 'dashboard',
    });
    bus.publish({ type: 'action.status', actionId: 'act-1', status: 'applying', runId: 'demo' });
    bus.publish({ type: 'action.status', actionId: 'act-1', status: 'rollback_failed', runId: 'demo' });
    off();
    bus.publish({ type: 'alert.received', fingerprint: 'f', status: 'firing', incidentId: null });
    const e = parseExposition(m.registry.render());
    expect(sampleValue(e, 'infraai_alerts_received_total', { status: 'firing' })).toBe(1);
    expect(sampleValue(e, 'infraai_decisions_total', { action: 'scale_up', source: 'rules' })).toBe(1);
    expect(sampleValue(e, 'infraai_decisions_total', { action: 'unknown', source: 'unknown' })).toBe(1);
    expect(
      sampleValue(e, 'infraai_approvals_total', { verdict: 'approve', outcome: 'accepted', channel: 'dashboard' }),
    ).toBe(1);
    expect(sampleValue(e, 'infraai_actions_total', { type: 'scale_up', outcome: 'rollback_failed' })).toBe(1);
    expect(sampleValue(e, 'infraai_actions_total', { outcome: 'applying' })).toBeUndefined();
    expect(sampleValue(e, 'infraai_action_status_changes_total', { status: 'applying' })).toBe(1);
    expect(sampleValue(e, 'infraai_pending_approvals', {})).toBe(2);
    expect(sampleValue(e, 'infraai_oldest_pending_approval_age_seconds', {})).toBe(90);
    expect(sampleValue(e, 'infraai_queued_actions', {})).toBe(4);
    expect(sampleValue(e, 'infraai_firing_alerts', { severity: 'critical' })).toBe(3);
    expect(sampleValue(e, 'infraai_build_info', { version: '1.2.3' })).toBe(1);
  });

  it('records Terraform commands and LLM calls through their ports', () => {
    const m = new ServiceMetrics(lookups, new FakeClock(), 't');
    m.terraformObserver({ subcommand: 'plan', durationMs: 1500, exitCode: 2, timedOut: false, canceled: false });
    m.terraformObserver({
      subcommand: 'apply',
      durationMs: 700_000,
      exitCode: undefined,
      timedOut: true,
      canceled: false,
    });
    m.record({
      model: 'gemini-2.5-flash',
      purpose: 'decision',
      outcome: 'ok',
      latencyMs: 800,
      promptTokens: 1200,
      outputTokens: 90,
    });
    const e = parseExposition(m.registry.render());
    expect(sampleValue(e, 'infraai_terraform_command_duration_seconds_bucket', { subcommand: 'plan', le: '2.5' })).toBe(
      1,
    );
    expect(
      sampleValue(e, 'infraai_terraform_command_duration_seconds_bucket', { subcommand: 'apply', le: '600' }),
    ).toBe(0);
    expect(sampleValue(e, 'infraai_terraform_commands_total', { subcommand: 'plan', result: 'error' })).toBe(1);
    expect(sampleValue(e, 'infraai_terraform_commands_total', { subcommand: 'apply', result: 'timeout' })).toBe(1);
    expect(
      sampleValue(e, 'infraai_llm_requests_total', { model: 'gemini-2.5-flash', purpose: 'decision', outcome: 'ok' }),
    ).toBe(1);
    expect(sampleValue(e, 'infraai_llm_tokens_total', { kind: 'prompt' })).toBe(1200);
    expect(sampleValue(e, 'infraai_llm_request_duration_seconds_sum', {})).toBe(0.8);
  });
});
