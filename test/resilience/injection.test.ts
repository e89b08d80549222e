/**
 * Injection: hostile resource names, labels and annotations through the real webhook, and hostile
 * LLM answers through the fake Gemini server and the real @google/genai client, down the real
 * decision → policy → executor path with real Terraform. Every Terraform call goes through a
 * recording decorator: each argument must come from an allow-list and none may carry a payload.
 * RUNS_DIR and the data dir (minus db, staging, revisions) are byte-identical afterwards and no
 * marker file appears. POST /infra gets what infra-create.test.ts does not already cover.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { poolDeployment, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { RecordingTerraform } from './recording-terraform.js';
import { Tally, tableCounts } from './tally.js';

const MARK = path.join(tmpdir(), `infraai-pwned-${process.pid}`);
const SHELL = [
  `$(touch ${MARK}-a)`,
  `\`touch ${MARK}-b\``,
  `pool; touch ${MARK}-c`,
  `pool | touch ${MARK}-d`,
  `pool\ntouch ${MARK}-e`,
  `pool && touch ${MARK}-f`,
];
const PATHS = ['../../etc/passwd', '../web/main.tf', '/etc/passwd', '..\\..\\x', 'pool/../../x'];
const HCL = [
  '"} resource "x" {',
  `"}\nresource "terraform_data" "evil" {\n  provisioner "local-exec" { command = "touch ${MARK}-x" }\n}\n#`,
  '${file("/etc/passwd")}',
  '%{ for x in [1] }x%{ endfor }',
];
const PAYLOADS = [...SHELL, ...PATHS, ...HCL];
const tally = new Tally('injection');

const SUBCOMMANDS = new Set(['version', 'init', 'validate', 'fmt', 'plan', 'show', 'apply', 'state']);
const FLAG = /^-(json|detailed-exitcode|auto-approve|destroy|list=false|input=false|no-color|lock-timeout=\d+s|)$/;

function argAllowed(a: string, dataDir: string): boolean {
  if (FLAG.test(a) || a === 'pull' || SUBCOMMANDS.has(a)) return true;
  if (/^-replace=terraform_data\.[a-z_]+(\[\d+\])?$/.test(a)) return true;
  const file = a.startsWith('-out=') ? a.slice(5) : a;
  if (path.isAbsolute(file))
    return file.startsWith(path.join(dataDir, 'staging') + path.sep) && /^[A-Za-z0-9_./-]+\.tfplan$/.test(file);
  return /^[A-Za-z0-9_-]+\.tf(vars)?(\.json)?$/.test(a);
}

/** Every file under `dir` (skipping `skip`) with its hash, size and mtime. */
function snapshotTree(dir: string, skip: (rel: string) => boolean, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(path.join(dir, rel))) return out;
  for (const name of readdirSync(path.join(dir, rel))) {
    const r = path.join(rel, name);
    if (skip(r)) continue;
    const full = path.join(dir, r);
    const st = statSync(full);
    if (st.isDirectory()) Object.assign(out, snapshotTree(dir, skip, r));
    else
      out[r] = `${st.size}:${st.mtimeMs}:${createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16)}`;
  }
  return out;
}

const POLICY = {
  version: 1,
  allowed_action_types: ['scale_up', 'scale_down', 'restart', 'modify_config', 'no_action'],
  min_confidence: 0.1,
  // machine_type deliberately has no allowed_values: hostile strings must reach the HCL editor and stay a quoted string.
  changeable_attributes: ['count', 'node_count', 'machine_type'],
  attributes: { count: { min: 1, max: 10, max_step: 4 }, node_count: { min: 1, max: 50 } },
  cooldown_seconds: 0,
  max_changed_resources: 4,
};

describe('injection through alerts and LLM answers (real Gemini client, real terraform)', () => {
  let h: Harness;
  let fake: FakeGeminiServer;
  let tf: RecordingTerraform;
  let dataDir: string;
  let seq = 0;
  const snap = () => ({
    runs: snapshotTree(h.runsDir, (r) => r.endsWith('.tfstate.lock.info')),
    data: snapshotTree(dataDir, (r) => /^(infraai\.sqlite|staging|revisions)/.test(r)),
  });

  beforeAll(async () => {
    fake = await FakeGeminiServer.start();
    tf = new RecordingTerraform();
    const root = path.join(tmpdir(), `infraai-inj-policy-${process.pid}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'policy.json'), JSON.stringify(POLICY));
    h = await startWithDeployments(
      { web: poolDeployment() },
      {
        GEMINI_API_KEY: 'fake-key-123',
        GEMINI_BASE_URL: fake.baseUrl,
        GEMINI_MAX_RETRIES: '0',
        POLICY_FILE: path.join(root, 'policy.json'),
      },
      { terraform: tf },
    );
    dataDir = path.dirname(h.service.config.databasePath);
  });
  afterAll(async () => {
    await h.service.stop();
    await fake.close();
  });

  /** One alert (fresh alertname → fresh incident) answered by `answer`; returns the decision and action rows. */
  async function alertWith(labels: Record<string, string>, annotations: Record<string, string>, answer?: unknown) {
    seq += 1;
    if (answer !== undefined) fake.script({ kind: 'json', value: answer });
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      payload: {
        resource_id: labels.resource_id ?? 'pool',
        metric: 'cpu',
        value: 0.97,
        threshold: 0.9,
        alertname: `Inj${seq}`,
        labels,
        annotations,
      },
    });
    await h.service.decisions.idle();
    await h.service.executor.idle();
    const decision = h.service.db
      .prepare(
        'SELECT d.status, d.policy_verdict_json, d.error AS llm_error FROM decisions d JOIN incidents i ON i.id = d.incident_id WHERE i.alertname = ?',
      )
      .get(`Inj${seq}`) as { status: string; policy_verdict_json: string | null; llm_error: string | null } | undefined;
    const action = h.service.db
      .prepare(
        'SELECT a.id, a.status, a.status_reason, a.plan_summary_json FROM actions a JOIN incidents i ON i.id = a.incident_id WHERE i.alertname = ?',
      )
      .get(`Inj${seq}`) as
      { id: string; status: string; status_reason: string | null; plan_summary_json: string | null } | undefined;
    return { res, decision, action };
  }

  const ok = {
    action_type: 'scale_up',
    resource_id: 'terraform_data.pool',
    parameters: { 'input.node_count': 3 },
    confidence: 0.9,
    reason: 'cpu high',
  };

  it('shell, path and HCL payloads in resource names find no resource: nothing decided, nothing run', async () => {
    const before = snap();
    const calls = tf.calls.length;
    for (const p of PAYLOADS) {
      const { res, decision, action } = await alertWith({ resource_id: p }, {});
      // An unmatched alert may still get a decision for a human (no_action / needs a human), never an action.
      const good = res.statusCode === 202 && action === undefined && decision?.status !== 'proposed';
      tally.record(
        'payload as resource name / label',
        good,
        `${JSON.stringify(p)} → ${res.statusCode} ${decision?.status}`,
      );
      expect(good, `${p}: ${res.body}`).toBe(true);
    }
    expect(tf.calls.length).toBe(calls);
    expect(snap()).toEqual(before);
  });

  it('payloads in labels and annotations of a real alert stay data: prompt carries them, terraform never does', async () => {
    for (const p of PAYLOADS) {
      const { decision, action } = await alertWith(
        { resource_id: 'pool', team: p },
        { summary: p, description: `x ${p} y` },
        ok,
      );
      expect(decision?.status, p).toBeDefined();
      if (action?.status === 'awaiting_approval')
        await h.service.executor.submitVerdict({
          actionId: action.id,
          verdict: 'reject',
          channel: 'rest',
          actor: 'test',
        });
      await h.service.executor.idle();
      tally.record('payload in labels/annotations', action !== undefined, JSON.stringify(p));
    }
    expect(fake.requests.some((r) => r.prompt.includes('touch'))).toBe(true);
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ["a resource other than the alert's", { ...ok, resource_id: 'terraform_data.other' }, /names resource/],
    ['a resource address with shell', { ...ok, resource_id: `terraform_data.pool; touch ${MARK}-g` }, /names resource/],
    [
      'a restart of a payload address',
      { ...ok, action_type: 'restart', resource_id: `terraform_data.pool[0] -destroy`, parameters: {} },
      /names resource/,
    ],
    ['an attribute the policy forbids', { ...ok, parameters: { 'input.secret_path': 'x' } }, /changeable_attributes/],
    [
      'provisioner as attribute',
      { ...ok, parameters: { 'provisioner.command': `touch ${MARK}-y` } },
      /changeable_attributes/,
    ],
    [
      'an attribute path with HCL',
      { ...ok, parameters: { 'input.node_count"} x {': 3 } },
      /parameters|dotted attribute path/,
    ],
    ['an attribute path with ../', { ...ok, parameters: { '../node_count': 3 } }, /parameters|dotted attribute path/],
    [
      'an HCL fragment as a number',
      { ...ok, parameters: { 'input.node_count': '"} resource "x" {' } },
      /must be a number/,
    ],
    ['a path as a number', { ...ok, parameters: { 'input.node_count': '../../etc/passwd' } }, /must be a number/],
    ['a huge number', { ...ok, parameters: { 'input.node_count': 1e308 } }, /max|finite/],
    // eslint-disable-next-line no-loss-of-precision -- deliberately past 2^53: the value must be refused
    ['a number beyond 2^53', { ...ok, parameters: { 'input.node_count': 9007199254740993 } }, /max/],
    ['a string where a number is expected', { ...ok, parameters: { 'input.node_count': '4' } }, /must be a number/],
    ['a nested object', { ...ok, parameters: { 'input.node_count': { value: 3 } } }, /parameters/],
    ['an array value', { ...ok, parameters: { 'input.node_count': [3] } }, /parameters/],
    [
      '__proto__ parameter',
      JSON.parse(
        `{"action_type":"scale_up","resource_id":"terraform_data.pool","parameters":{"__proto__":{"x":1}},"confidence":0.9,"reason":"r"}`,
      ),
      /parameters|at least one|__proto__/,
    ],
    ['an unknown action', { ...ok, action_type: 'exec' }, /action_type/],
    ['an extra field', { ...ok, command: 'rm -rf /' }, /schema/],
  ];

  it.each(refusals)('LLM answer with %s → refused with a reason, nothing prepared', async (name, answer, why) => {
    const before = snap();
    const calls = tf.calls.length;
    const { decision, action } = await alertWith({ resource_id: 'pool' }, {}, answer);
    const reason = `${decision?.llm_error ?? ''} ${decision?.policy_verdict_json ?? ''}`;
    const good =
      decision !== undefined &&
      decision.status !== 'proposed' &&
      action === undefined &&
      why.test(reason) &&
      tf.calls.length === calls;
    tally.record('hostile LLM answers refused', good, `${name} → ${decision?.status} ${reason.slice(0, 120)}`);
    expect(decision?.status, name).toMatch(/llm_rejected|blocked_by_policy|rejected/);
    expect(reason, name).toMatch(why);
    expect(action).toBeUndefined();
    expect(tf.calls.length).toBe(calls);
    expect(snap()).toEqual(before);
  });

  it.each(HCL.concat(SHELL.slice(0, 2), PATHS.slice(0, 1)))(
    'a hostile string for a free-text attribute stays one quoted HCL string: %j',
    async (p) => {
      const before = snap();
      const { action } = await alertWith(
        { resource_id: 'pool' },
        {},
        { ...ok, action_type: 'modify_config', parameters: { 'input.machine_type': p } },
      );
      try {
        expect(action?.status, action?.status_reason ?? '').toBe('awaiting_approval');
        const summary = JSON.parse(action!.plan_summary_json ?? '[]') as Array<{
          address: string;
          action: string;
          changes: Array<{ path: string; after: string }>;
        }>;
        // Only the two pool instances change (machine_type, and the derived output), and machine_type becomes exactly the payload.
        const good =
          summary.length === 2 &&
          summary.every((s) => s.address.startsWith('terraform_data.pool[') && s.action === 'update') &&
          summary.every((s) =>
            s.changes.every(
              (c) => c.path === 'output' || (c.path === 'input.machine_type' && JSON.parse(c.after) === p),
            ),
          );
        tally.record(
          'hostile string value kept as a quoted string',
          good,
          `${JSON.stringify(p)} → ${JSON.stringify(summary).slice(0, 200)}`,
        );
        expect(good, JSON.stringify(summary)).toBe(true);
      } finally {
        if (action?.status === 'awaiting_approval')
          await h.service.executor.submitVerdict({
            actionId: action.id,
            verdict: 'reject',
            channel: 'rest',
            actor: 'test',
          });
        await h.service.executor.idle();
      }
      expect(snap()).toEqual(before);
    },
  );

  it('every terraform call: allow-listed arguments only, no payload in any argument, cwd in RUNS_DIR or staging; no marker file', () => {
    expect(tf.calls.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const c of tf.calls) {
      for (const a of c.args)
        if (!argAllowed(a, dataDir) || PAYLOADS.some((p) => a.includes(p.trim())))
          bad.push(`${c.args.join(' ')} (${a})`);
      const inRuns = c.cwd.startsWith(h.runsDir + path.sep);
      const inStaging = c.cwd.startsWith(path.join(dataDir, 'staging') + path.sep);
      if (!inRuns && !inStaging && c.args[0] !== 'version') bad.push(`cwd ${c.cwd} for ${c.args.join(' ')}`);
    }
    tally.record('terraform argv allow-list', bad.length === 0, bad.join('; ').slice(0, 200));
    expect(bad).toEqual([]);
    const markers = readdirSync(tmpdir()).filter((n) => n.startsWith(path.basename(MARK)) || n === 'pwned');
    tally.record('no marker file created', markers.length === 0, markers.join(','));
    expect(markers).toEqual([]);
    expect(existsSync('/tmp/pwned')).toBe(false);
  });
});

describe('POST /infra: what infra-create.test.ts does not cover', () => {
  let h: Harness;
  const MAIN = 'resource "terraform_data" "a" {\n  input = "x"\n}\n';
  beforeAll(async () => {
    h = await startWithDeployments({}, {});
  });
  afterAll(async () => {
    tally.print();
    await h.service.stop();
  });

  it('refuses escapes in names and odd names; writes nothing; a symlinked run dir is never followed', async () => {
    const outside = path.join(tmpdir(), `infraai-outside-${process.pid}`);
    symlinkSync(outside, path.join(h.runsDir, 'dangling'));
    symlinkSync('/tmp', path.join(h.runsDir, 'tolink'));
    const before = { db: tableCounts(h.service.db), runs: readdirSync(h.runsDir).sort() };
    const cases: Array<[string, unknown, number]> = [
      ['unicode one-dot leader as ..', { run_id: 'x1', files: { '\u2024\u2024/x.tf': MAIN } }, 400],
      ['fullwidth dot in run_id', { run_id: '\uFF0E\uFF0E', files: { 'main.tf': MAIN } }, 400],
      ['fullwidth solidus in file name', { run_id: 'x1', files: { 'a\uFF0Fb.tf': MAIN } }, 400],
      ['NUL in file name', { run_id: 'x1', files: { 'main\u0000.tf': MAIN } }, 400],
      ['NUL in run_id', { run_id: 'x1\u0000', files: { 'main.tf': MAIN } }, 400],
      ['NUL in content', { run_id: 'x1', files: { 'main.tf': `${MAIN}\u0000` } }, 400],
      ['very long run_id', { run_id: 'a'.repeat(129), files: { 'main.tf': MAIN } }, 400],
      ['very long file name', { run_id: 'x1', files: { [`${'a'.repeat(200)}.tf`]: MAIN } }, 400],
      ['backslash path', { run_id: 'x1', files: { '..\\x.tf': MAIN } }, 400],
      ['run_id ..', { run_id: '..', files: { 'main.tf': MAIN } }, 400],
      ['run_id with a trailing newline', { run_id: 'x1\n', files: { 'main.tf': MAIN } }, 400],
      ['a dangling symlink in RUNS_DIR as run_id', { run_id: 'dangling', files: { 'main.tf': MAIN } }, 409],
      ['a symlink to /tmp as run_id', { run_id: 'tolink', files: { 'main.tf': MAIN } }, 400],
      [
        'backend local with absolute path',
        {
          run_id: 'x2',
          files: { 'main.tf': 'terraform {\n  backend "local" {\n    path = "/tmp/stolen.tfstate"\n  }\n}\n' },
        },
        400,
      ],
      [
        'templatefile of a host path',
        {
          run_id: 'x2',
          files: { 'main.tf': 'resource "terraform_data" "a" {\n  input = templatefile("/etc/passwd", {})\n}\n' },
        },
        400,
      ],
      [
        'file() of a host path through a local',
        {
          run_id: 'x2',
          files: {
            'main.tf':
              'locals {\n  p = "/etc/passwd"\n}\nresource "terraform_data" "a" {\n  input = file(local.p)\n}\n',
          },
        },
        400,
      ],
      [
        'file() of a host path through a variable default',
        {
          run_id: 'x2',
          files: {
            'main.tf':
              'variable "p" {\n  default = "/etc/hostname"\n}\nresource "terraform_data" "a" {\n  input = filebase64(var.p)\n}\n',
          },
        },
        400,
      ],
      [
        'file() of a host path through tfvars',
        {
          run_id: 'x2',
          files: {
            'main.tf':
              'variable "p" {\n  type = string\n}\nresource "terraform_data" "a" {\n  input = file(var.p)\n}\n',
            'terraform.tfvars': 'p = "/etc/hostname"\n',
          },
        },
        400,
      ],
      [
        'file() of a path built by a function',
        {
          run_id: 'x2',
          files: {
            'main.tf': 'resource "terraform_data" "a" {\n  input = file(replace("Xetc/hostname", "X", "/"))\n}\n',
          },
        },
        400,
      ],
      [
        'external data source',
        { run_id: 'x2', files: { 'main.tf': 'data "external" "x" {\n  program = ["sh", "-c", "id"]\n}\n' } },
        400,
      ],
    ];
    for (const [name, body, status] of cases) {
      const res = await h.service.app.inject({ method: 'POST', url: '/infra', payload: body as object });
      const good = res.statusCode === status;
      tally.record('POST /infra escapes', good, `${name} → ${res.statusCode} ${res.body.slice(0, 120)}`);
      expect(res.statusCode, `${name}: ${res.body}`).toBe(status);
    }
    expect({ db: tableCounts(h.service.db), runs: readdirSync(h.runsDir).sort() }).toEqual(before);
    expect(existsSync(outside)).toBe(false);
  });
});
