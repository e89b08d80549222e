import { isLoopbackHost, type Config } from './config/config.js';
import { hostRules } from './http/host-rules.js';
import { SCHEMA_VERSION } from './db/connection/migrations.js';
import { checkRunsDir, checkTerraform, type Service } from './main.js';
import { withService } from './cli-registry.js';
import { discoverDeployments, isInitialised, wantsBootstrap } from './registry/deployment-discovery.js';
import { parseShowJson } from './registry/state-parser.js';
import { errorMessage } from './shared/errors.js';
import { scrubText } from './shared/redact.js';
import { describeFailure } from './terraform/terraform-runner.js';
import { MIN_TERRAFORM_VERSION } from './terraform/cli-terraform-runner.js';
import { TerraformSteps } from './terraform/steps.js';

interface Finding {
  ok: boolean;
  check: string;
  detail: string;
  fix?: string;
}

/** `infraai doctor`: every check with a fix for each problem; exit 1 when anything is wrong. */
export async function doctorCommand(config: Config, out = process.stdout): Promise<number> {
  const findings: Finding[] = [
    { ok: true, check: 'config', detail: `PORT=${config.env.PORT} HOST=${config.env.HOST} RUNS_DIR=${config.runsDir}` },
    accessFinding(config),
  ];
  try {
    await withService(config, async (s) => {
      findings.push(databaseFinding(s));
      findings.push(await terraformFinding(s));
      const runs = checkRunsDir(config.runsDir);
      findings.push(
        runs.ok
          ? { ok: true, check: 'runs dir', detail: runs.detail }
          : {
              ok: false,
              check: 'runs dir',
              detail: runs.detail,
              fix: `create it (mkdir -p ${config.runsDir}) or set RUNS_DIR to a writable directory`,
            },
      );
      if (runs.ok) findings.push(...(await runDirFindings(s)));
    });
  } catch (err) {
    findings.push({
      ok: false,
      check: 'database',
      detail: errorMessage(err),
      fix: `check DATABASE_PATH=${config.databasePath} is writable and not from a newer InfraAI`,
    });
  }
  for (const f of findings) {
    out.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}\n`);
    if (!f.ok && f.fix) out.write(`      fix: ${f.fix}\n`);
  }
  const bad = findings.filter((f) => !f.ok).length;
  out.write(bad === 0 ? 'everything looks right\n' : `${bad} problem(s) found\n`);
  return bad === 0 ? 0 : 1;
}

/** Which Host names are answered and whether reads need a token: off-loopback without names, nobody gets in. */
export function accessFinding(config: Config): Finding {
  const env = config.env;
  const names = [
    ...hostRules({
      publicUrl: env.PUBLIC_URL,
      allowedHosts: env.ALLOWED_HOSTS,
      extraUrls: [env.TELEGRAM_WEBHOOK_URL],
      bindHost: env.HOST,
    }).names,
  ];
  const detail =
    `answers for loopback${names.length > 0 ? `, ${names.join(', ')}` : ''}; ` +
    (env.API_TOKEN === undefined
      ? 'no token needed (loopback only)'
      : `every route but the public ones needs API_TOKEN${env.READ_TOKEN ? ' (reads: or READ_TOKEN)' : ''}`);
  if (!isLoopbackHost(env.HOST) && names.length === 0) {
    return {
      ok: false,
      check: 'http access',
      detail,
      fix: `HOST=${env.HOST} listens beyond loopback but only loopback names are answered (421 otherwise): set PUBLIC_URL or ALLOWED_HOSTS to the names clients use`,
    };
  }
  return { ok: true, check: 'http access', detail };
}

function databaseFinding(s: Service): Finding {
  const version = s.db.pragma('user_version', { simple: true }) as number;
  const ok = version === SCHEMA_VERSION;
  return ok
    ? { ok, check: 'database', detail: `${s.config.databasePath} (schema version ${version})` }
    : {
        ok,
        check: 'database',
        detail: `schema version ${version}, expected ${SCHEMA_VERSION}`,
        fix: 'restart the service to migrate, or point DATABASE_PATH elsewhere',
      };
}

async function terraformFinding(s: Service): Promise<Finding> {
  try {
    return { ok: true, check: 'terraform', detail: `${s.terraform.bin} ${await checkTerraform(s.terraform)}` };
  } catch (err) {
    return {
      ok: false,
      check: 'terraform',
      detail: errorMessage(err),
      fix: `install terraform ≥ ${MIN_TERRAFORM_VERSION} (or tofu) and set TERRAFORM_BIN to its path`,
    };
  }
}

async function runDirFindings(s: Service): Promise<Finding[]> {
  const { deployments, refused } = discoverDeployments(s.config.runsDir);
  const findings: Finding[] = refused.map((r) => ({
    ok: false,
    check: `run dir ${r.name}`,
    detail: r.reason,
    fix: 'rename it to letters, digits, ".", "_", "-" or move it into RUNS_DIR (no symlinks pointing out)',
  }));
  if (deployments.length === 0)
    findings.push({ ok: true, check: 'deployments', detail: `none under ${s.config.runsDir}` });
  for (const d of deployments) findings.push(await deploymentFinding(s, d.runId, d.dir));
  return findings;
}

/** validate (needs init for modules/providers), then show -json (state readable and parseable). */
async function deploymentFinding(s: Service, runId: string, dir: string): Promise<Finding> {
  const check = `deployment ${runId}`;
  const timeoutMs = s.config.env.TF_PLAN_TIMEOUT * 1000;
  const initFix = `run: ${s.terraform.bin} -chdir=${dir} init (infraai serve/sync also does it), then fix what it reports`;
  // Both steps at the plan timeout, the one the service's reads use (apply is not run here).
  const steps = new TerraformSteps(s.terraform, { planMs: timeoutMs, applyMs: timeoutMs });
  const validate = await steps.validateText(dir);
  if (validate.exitCode !== 0) {
    const what = isInitialised(dir) ? 'validating configuration' : 'validating configuration (not initialised)';
    return { ok: false, check, detail: scrubText(describeFailure(what, validate), []), fix: initFix };
  }
  const show = await steps.showState(dir);
  if (show.exitCode !== 0) {
    return { ok: false, check, detail: scrubText(describeFailure('reading state', show), []), fix: initFix };
  }
  try {
    const state = parseShowJson(runId, JSON.parse(show.stdout));
    const detail = state.hasState
      ? `valid, state readable, ${state.managed.length} resources, ${state.data.length} data sources`
      : `valid, no state yet${wantsBootstrap(dir) ? ' (applied at next start: .infraai-bootstrap)' : ' (run terraform apply)'}`;
    return { ok: true, check, detail };
  } catch (err) {
    return {
      ok: false,
      check,
      detail: errorMessage(err),
      fix: `check TERRAFORM_BIN is terraform ≥ ${MIN_TERRAFORM_VERSION} or tofu`,
    };
  }
}
