/**
 * The approval paths on the ONE real service graph (compose()): real SQLite, real Terraform
 * (terraform_data deployments), the real telegraf client against the fake Bot API server, and
 * actions made by the real executor (decision → prepare → plan → awaiting_approval). Nothing here
 * re-implements a production step: a verdict goes through REST, Telegram or the executor's
 * public decide(), expiry through the service's own sweep on its scheduler.
 */
import type { Db } from '../../src/db/connection/database.js';
import type { Scheduler } from '../../src/executor/ports.js';
import type { Service } from '../../src/main.js';
import { FakeClock } from '../../src/shared/clock.js';
import type { Logger } from '../../src/shared/logger.js';
import { FakeTelegramServer, type FakeMessage } from '../fakes/fake-telegram-server.js';
import { poolDeployment, prepareDecision, startWithDeployments, type Harness } from './executor-harness.js';
import { RecordingTrigger } from './webhook.js';

export const ALICE = 111;
export const STRANGER = 222;

/** A logger that keeps every line, to check what reaches the logs. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const log = (level: string) => (obj: object, msg?: string) =>
    lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const l: Logger & { lines: string[] } = {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => l,
  };
  return l;
}

/** Runs the service's periodic jobs (the approval expiry sweep among them) only when told to. */
export class ManualScheduler implements Scheduler {
  private readonly jobs = new Set<() => void>();
  every(_ms: number, fn: () => void): () => void {
    this.jobs.add(fn);
    return () => this.jobs.delete(fn);
  }
  runAll(): void {
    for (const fn of [...this.jobs]) fn();
  }
}

export interface ApprovalService {
  service: Service;
  exec: Harness;
  db: Db;
  tg: FakeTelegramServer;
  clock: FakeClock;
  scheduler: ManualScheduler;
  /** Incidents intake opened; they wait for the test instead of the decision service. */
  trigger: RecordingTrigger;
  logger: ReturnType<typeof recordingLogger>;
  /** Every backoff wait the Telegram channel asked for, in ms. */
  sleeps: number[];
  /** Executor, Telegram and approval-notifier work done. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ApprovalServiceOptions {
  /** How many independent deployments (web0, web1, …): actions on one deployment queue. */
  deployments?: number;
  apiToken?: string;
  webhook?: { url: string; secret: string };
  allowedChatIds?: string[];
  /** Extra environment (APPROVAL_TTL_SECONDS…). */
  env?: Record<string, string>;
  /** Runs before the service (and so the Telegram channel) starts. */
  beforeStart?: (tg: FakeTelegramServer) => void;
}

export async function startApprovalService(o: ApprovalServiceOptions = {}): Promise<ApprovalService> {
  const tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  o.beforeStart?.(tg);
  const clock = new FakeClock(Date.now());
  const scheduler = new ManualScheduler();
  const trigger = new RecordingTrigger();
  const logger = recordingLogger();
  const sleeps: number[] = [];
  const deployments = Object.fromEntries(
    Array.from({ length: o.deployments ?? 1 }, (_, i) => [`web${i}`, poolDeployment()]),
  );
  const env: Record<string, string> = {
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_CHAT_ID: String(tg.opsChat.id),
    TELEGRAM_ALLOWED_USER_IDS: String(ALICE),
    TELEGRAM_API_ROOT: apiRoot,
    ...(o.apiToken ? { API_TOKEN: o.apiToken } : {}),
    ...(o.allowedChatIds ? { TELEGRAM_ALLOWED_CHAT_IDS: o.allowedChatIds.join(',') } : {}),
    ...(o.webhook ? { TELEGRAM_WEBHOOK_URL: o.webhook.url, TELEGRAM_WEBHOOK_SECRET: o.webhook.secret } : {}),
    ...o.env,
  };
  const exec = await startWithDeployments(deployments, env, {
    clock,
    scheduler,
    logger,
    decisionTrigger: trigger,
    // Small waits so outage tests stay quick; the retry_after unit is 10 ms instead of 1 s.
    telegramRetry: {
      attempts: 4,
      baseDelayMs: 10,
      maxDelayMs: 1000,
      retryAfterUnitMs: 10,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    },
  });
  const service = exec.service;
  return {
    service,
    exec,
    db: service.db,
    tg,
    clock,
    scheduler,
    trigger,
    logger,
    sleeps,
    async settle() {
      await service.executor.idle();
      await service.telegram?.idle();
    },
    async close() {
      await service.stop();
      await tg.close();
    },
  };
}

let next = 0;

/** A firing Alertmanager alert on terraform_data.pool, posted to POST /ops/webhook. */
export interface PoolAlert {
  alertname: string;
  value: string;
  startsAt: string;
}

/** Posts the alert through intake and returns the incident it opened (it waits for the test). */
export async function alertIncident(a: ApprovalService, alert: PoolAlert): Promise<string> {
  const payload = {
    version: '4',
    receiver: 'ops',
    status: 'firing',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    groupKey: `{}:{alertname="${alert.alertname}"}`,
    truncatedAlerts: 0,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: alert.alertname, resource_id: 'pool', severity: 'warning' },
        annotations: { summary: 'cpu high', value: alert.value },
        startsAt: alert.startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: `fp${Math.random().toString(16).slice(2, 14)}`,
      },
    ],
  };
  const before = a.trigger.calls.length;
  const res = await a.service.app.inject({ method: 'POST', url: '/ops/webhook', payload });
  if (res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
  const incidentId = a.trigger.calls[before];
  if (incidentId === undefined) throw new Error(`setup: the alert opened no incident: ${res.body}`);
  return incidentId;
}

export interface AwaitingOptions {
  runId?: string;
  /** terraform_data.pool's count after the change (default 3). */
  count?: number;
  /** The alert that opened the incident (default: an incident without alerts). */
  alert?: PoolAlert;
  reason?: string;
  confidence?: number;
}

/**
 * A real action awaiting approval on deployment `web<n>` (scale terraform_data.pool), with its
 * Telegram request sent. Deployments are used round robin; an action that queued instead of
 * waiting for approval is an error in the test's setup.
 */
export async function awaitingAction(
  a: ApprovalService,
  o: AwaitingOptions = {},
): Promise<{ actionId: string; planSha256: string; runId: string; incidentId: string }> {
  const runId = o.runId ?? `web${next++ % deploymentCount(a)}`;
  const incident = o.alert ? await alertIncident(a, o.alert) : undefined;
  const decision = {
    runId,
    address: 'terraform_data.pool',
    actionType: 'scale_up',
    parameters: { count: o.count ?? 3 },
    ...(o.reason === undefined ? {} : { reason: o.reason }),
    ...(o.confidence === undefined ? {} : { confidence: o.confidence }),
  };
  const { action, incidentId } = await prepareDecision(a.exec, decision, incident);
  if (action.status !== 'awaiting_approval' || !action.planSha256) {
    throw new Error(
      `setup: action on ${runId} is ${action.status} (${action.statusReason ?? ''}), not awaiting approval`,
    );
  }
  await a.settle();
  return { actionId: action.id, planSha256: action.planSha256, runId, incidentId };
}

function deploymentCount(a: ApprovalService): number {
  return a.service.registry.listDeployments().length;
}

/** The Telegram messages that name the action, oldest first. */
export const messagesOf = (tg: FakeTelegramServer, actionId: string): FakeMessage[] =>
  [...tg.messages.values()].filter((m) => m.text.includes(actionId));

export const buttonsOf = (m: FakeMessage): string[] =>
  (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => b.callback_data);

/** Anything holding the one real service graph (an ApprovalService or an executor Harness). */
interface HasService {
  service: Service;
}

/** Fields of the approval rows a user can see in the audit (GET /ops/actions/:id). */
export function approvalRows(
  a: HasService,
  actionId: string,
): Array<{ verdict: string; outcome: string; channel: string; actor: string }> {
  return a.service.actions
    .approvals(actionId)
    .map((r) => ({ verdict: r.verdict, outcome: r.outcome, channel: r.channel, actor: r.actor }));
}

export function actionStatus(a: HasService, actionId: string): string {
  const action = a.service.actions.get(actionId);
  if (!action) throw new Error(`no action ${actionId}`);
  return action.status;
}

/**
 * One real action awaiting approval on a deployment, for tests that throw many requests at the
 * approval routes: get() hands back the same action while it still waits (a refused request must
 * leave it waiting) and prepares a new one once a verdict landed.
 */
export class LiveAction {
  private current: string | undefined;
  private count = 3;
  constructor(
    private readonly exec: Harness,
    private readonly runId = 'web0',
  ) {}

  async get(): Promise<string> {
    await this.exec.service.executor.idle();
    if (this.current !== undefined) {
      const status = actionStatus(this.exec, this.current);
      if (status === 'awaiting_approval') return this.current;
      if (status === 'applied') this.count += 1; // the next change scales one further
    }
    const { action } = await prepareDecision(this.exec, {
      runId: this.runId,
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: this.count },
    });
    if (action.status !== 'awaiting_approval')
      throw new Error(`setup: action is ${action.status} (${action.statusReason ?? ''})`);
    this.current = action.id;
    return action.id;
  }
}

/** Starts the real service with one terraform_data deployment `web0` (for LiveAction). */
export function startWithPool(
  env: Record<string, string>,
  overrides: Parameters<typeof startWithDeployments>[2] = {},
): Promise<Harness> {
  return startWithDeployments({ web0: poolDeployment() }, env, overrides);
}
