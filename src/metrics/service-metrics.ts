import type { Clock } from '../shared/clock.js';
import type { DomainEvent } from '../shared/events.js';
import type { LlmCallRecord, LlmRecorder, TerraformCommandRecord, TerraformObserver } from '../shared/metrics-ports.js';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './prometheus.js';

/** What the metrics need to read at scrape time or to label an event; the SQL adapter provides it. */
export interface MetricsLookups {
  /** @throws on database failure (that gauge is skipped in the scrape). */
  pendingApprovals(): number;
  oldestPendingAgeSeconds(nowMs: number): number;
  /** Actions queued behind another on their deployment. @throws on database failure. */
  queuedActions(): number;
  firingAlerts(): Array<{ severity: string; n: number }>;
  /** Undefined when unknown; never throws. */
  decisionLabels(id: string): { action: string; source: string } | undefined;
  /** Undefined when unknown; never throws. */
  actionType(id: string): string | undefined;
}

/**
 * Action statuses that end a phase and so count as an outcome of that action. `queued` is not one
 * (the action goes on when its turn comes); `superseded` is no longer set (actions queue instead).
 */
export const OUTCOME_STATUSES = new Set([
  'blocked_by_policy',
  'prepare_failed',
  'rejected',
  'expired',
  'obsolete',
  'interrupted',
  'applied',
  'failed',
  'rolled_back',
  'rollback_failed',
  'effective',
  'ineffective',
]);

const SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const LLM_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/**
 * The service's own metrics. Counters are fed from EventBus events (so stores need not know
 * about metrics), from the Terraform observer, the LLM recorder and the HTTP hook; gauges about
 * pending work are read from SQL when Prometheus scrapes.
 */
export class ServiceMetrics implements LlmRecorder {
  readonly registry = new MetricsRegistry();
  private readonly alerts: Counter;
  private readonly decisions: Counter;
  private readonly approvals: Counter;
  private readonly actions: Counter;
  private readonly actionStatus: Counter;
  private readonly tfDuration: Histogram;
  private readonly tfCommands: Counter;
  private readonly llmRequests: Counter;
  private readonly llmLatency: Histogram;
  private readonly llmTokens: Counter;
  private readonly http: Counter;
  private readonly httpDuration: Histogram;
  readonly sseClients: Gauge;

  constructor(
    private readonly lookups: MetricsLookups,
    clock: Clock,
    version: string,
  ) {
    const r = this.registry;
    const startedAt = clock.now() / 1000;
    r.gauge('infraai_build_info', 'Always 1; the version label says which build is running.', ['version'], () => [
      { labels: { version }, value: 1 },
    ]);
    r.gauge('infraai_start_time_seconds', 'Unix time the service started.', [], () => [{ value: startedAt }]);
    this.alerts = r.counter('infraai_alerts_received', 'Alerts received from Alertmanager, by status.', ['status']);
    this.decisions = r.counter(
      'infraai_decisions',
      'Decisions created, by action type and source (gemini/rules/...).',
      ['action', 'source'],
    );
    this.approvals = r.counter(
      'infraai_approvals',
      'Approval attempts, by verdict, outcome (accepted/refused) and channel.',
      ['verdict', 'outcome', 'channel'],
    );
    this.actions = r.counter('infraai_actions', 'Actions reaching an outcome status, by action type and outcome.', [
      'type',
      'outcome',
    ]);
    this.actionStatus = r.counter('infraai_action_status_changes', 'Every action status change, by new status.', [
      'status',
    ]);
    this.tfDuration = r.histogram(
      'infraai_terraform_command_duration_seconds',
      'Wall time of Terraform commands, by subcommand.',
      ['subcommand'],
      SECONDS_BUCKETS,
    );
    this.tfCommands = r.counter(
      'infraai_terraform_commands',
      'Terraform commands run, by subcommand and result (ok/error/timeout/canceled).',
      ['subcommand', 'result'],
    );
    this.llmRequests = r.counter('infraai_llm_requests', 'LLM requests, by model, purpose and outcome.', [
      'model',
      'purpose',
      'outcome',
    ]);
    this.llmLatency = r.histogram(
      'infraai_llm_request_duration_seconds',
      'LLM request latency, by model.',
      ['model'],
      LLM_BUCKETS,
    );
    this.llmTokens = r.counter('infraai_llm_tokens', 'LLM tokens, by model and kind (prompt/output).', [
      'model',
      'kind',
    ]);
    this.http = r.counter(
      'infraai_http_requests',
      'HTTP requests answered, by method, route pattern and status code.',
      ['method', 'route', 'code'],
    );
    this.httpDuration = r.histogram(
      'infraai_http_request_duration_seconds',
      'HTTP request duration, by route pattern.',
      ['route'],
      SECONDS_BUCKETS,
    );
    this.sseClients = r.gauge('infraai_sse_clients', 'Dashboards connected to /ops/events.');
    r.gauge(
      'infraai_pending_approvals',
      'Actions waiting for a human decision (read from the database at scrape time).',
      [],
      () => [{ value: lookups.pendingApprovals() }],
    );
    r.gauge(
      'infraai_oldest_pending_approval_age_seconds',
      'Age of the oldest action waiting for approval; 0 when none.',
      [],
      () => [{ value: lookups.oldestPendingAgeSeconds(clock.now()) }],
    );
    r.gauge(
      'infraai_queued_actions',
      'Actions queued behind another action on their deployment (read from the database at scrape time).',
      [],
      () => [{ value: lookups.queuedActions() }],
    );
    r.gauge('infraai_firing_alerts', 'Alerts currently firing, by severity.', ['severity'], () =>
      lookups.firingAlerts().map((a) => ({ labels: { severity: a.severity }, value: a.n })),
    );
  }

  /** Counts one event (src/compose/reactions.ts connects it to the bus). */
  onEvent(e: DomainEvent): void {
    switch (e.type) {
      case 'alert.received':
        this.alerts.inc({ status: e.status });
        break;
      case 'decision.created': {
        const l = this.lookups.decisionLabels(e.decisionId);
        this.decisions.inc({ action: l?.action ?? 'unknown', source: l?.source ?? 'unknown' });
        break;
      }
      case 'approval.recorded':
        this.approvals.inc({ verdict: e.verdict, outcome: e.outcome, channel: e.channel });
        break;
      case 'action.status':
        this.actionStatus.inc({ status: e.status });
        if (OUTCOME_STATUSES.has(e.status)) {
          this.actions.inc({ type: this.lookups.actionType(e.actionId) ?? 'unknown', outcome: e.status });
        }
        break;
      default:
        break;
    }
  }

  /** Hand this to CliTerraformRunner's `onCommand`. */
  readonly terraformObserver: TerraformObserver = (t: TerraformCommandRecord) => {
    const result = t.timedOut ? 'timeout' : t.canceled ? 'canceled' : t.exitCode === 0 ? 'ok' : 'error';
    this.tfDuration.observe({ subcommand: t.subcommand }, t.durationMs / 1000);
    this.tfCommands.inc({ subcommand: t.subcommand, result });
  };

  record(call: LlmCallRecord): void {
    this.llmRequests.inc({ model: call.model, purpose: call.purpose, outcome: call.outcome });
    this.llmLatency.observe({ model: call.model }, call.latencyMs / 1000);
    if (call.promptTokens !== undefined) this.llmTokens.inc({ model: call.model, kind: 'prompt' }, call.promptTokens);
    if (call.outputTokens !== undefined) this.llmTokens.inc({ model: call.model, kind: 'output' }, call.outputTokens);
  }

  /** Called once per answered request with the route *pattern* (bounded cardinality). */
  observeHttp(method: string, route: string, code: number, seconds: number): void {
    this.http.inc({ method, route, code: String(code) });
    this.httpDuration.observe({ route }, seconds);
  }
}
