/**
 * Terraform's own reading of a configuration, compared with the guard's (config-guard.ts):
 *
 * - `.terraform/modules/modules.json` after `terraform init -backend=false`: every module call
 *   as Terraform resolved it (Key, Source, Dir). Every Dir must be the directory the guard
 *   followed, inside the deployment; every Source a relative path.
 * - `terraform graph -type=plan` loads the configuration without evaluating expressions and
 *   names every resource, data source, module and provider. Its sets must equal the guard's.
 * - After the plan, `terraform show -json`'s `configuration`: no provisioner anywhere, only
 *   allowed resource types, only relative module sources (defence in depth: provisioners run
 *   only at apply, so refusing here is still in time).
 *
 * Pure: the caller runs Terraform and passes the text in.
 */
import path from 'node:path';
import { z } from 'zod';
import { refuseType, type InfraAllowList } from './allow-list.js';
import type { ConfigView } from './config-guard.js';

export interface GraphReading {
  resources: string[];
  data: string[];
  modules: string[];
  providers: string[];
  /** Node names this code does not know; any of them refuses the configuration. */
  unknown: string[];
}

const NODE = /"\[root\] ((?:[^"\\]|\\.)*)"/g;
const SUFFIX = / \((expand|close|validation|EachMode fixup)\)$/;
const NAME = '[A-Za-z_][A-Za-z0-9_-]*';
/** Address kinds shaped like `TYPE.NAME` that are not managed resources. */
const NOT_RESOURCES = /^(check|ephemeral|action|list|import|moved|removed|terraform|path|count|each|self)\./;
const PROVIDER = /^provider\["([^"]+)"\](?:\.[A-Za-z_][A-Za-z0-9_-]*)?$/;

/** Reads the node names of `terraform graph -type=plan` (DOT text). */
export function parseGraph(dot: string): GraphReading {
  const out: GraphReading = { resources: [], data: [], modules: [], providers: [], unknown: [] };
  const names = new Set<string>();
  for (const m of dot.matchAll(NODE)) names.add((m[1] ?? '').replace(/\\(.)/g, '$1').replace(SUFFIX, ''));
  for (const name of names) classify(name, out);
  for (const k of ['resources', 'data', 'modules', 'providers'] as const) out[k] = [...new Set(out[k])].sort();
  return out;
}

function classify(name: string, out: GraphReading): void {
  if (name === 'root' || name === 'meta.count-boundary') return;
  let rest = name;
  let prefix = '';
  for (
    let m = new RegExp(`^module\\.(${NAME})(\\.|$)`).exec(rest);
    m !== null;
    m = new RegExp(`^module\\.(${NAME})(\\.|$)`).exec(rest)
  ) {
    prefix += `module.${m[1] as string}.`;
    rest = rest.slice(m[0].length);
    if (rest === '') {
      out.modules.push(prefix.slice(0, -1));
      return;
    }
  }
  const provider = PROVIDER.exec(rest);
  if (provider) out.providers.push(provider[1] as string);
  else if (new RegExp(`^(var|local|output)\\.${NAME}$`).test(rest)) return;
  else if (new RegExp(`^data\\.${NAME}\\.${NAME}$`).test(rest)) out.data.push(prefix + rest);
  else if (new RegExp(`^${NAME}\\.${NAME}$`).test(rest) && !NOT_RESOURCES.test(rest)) out.resources.push(prefix + rest);
  else out.unknown.push(name);
}

const ModulesJson = z.object({ Modules: z.array(z.object({ Key: z.string(), Source: z.string(), Dir: z.string() })) });

/**
 * Differences between the guard's view and Terraform's (graph + modules.json). `modulesJson` is
 * undefined when init wrote none (a configuration without module calls).
 */
export function compareReadings(
  view: ConfigView,
  graph: GraphReading,
  modulesJson: string | undefined,
  workDir: string,
): string[] {
  const diffs: string[] = [];
  if (graph.unknown.length > 0)
    diffs.push(`Terraform's graph has nodes InfraAI does not know: ${graph.unknown.slice(0, 5).join(', ')}`);
  const sameSet = (what: string, ours: string[], theirs: string[]) => {
    const a = [...new Set(ours)].sort();
    const b = [...new Set(theirs)].sort();
    const onlyTf = b.filter((x) => !a.includes(x));
    const onlyOurs = a.filter((x) => !b.includes(x));
    if (onlyTf.length > 0) diffs.push(`${what} only Terraform sees: ${onlyTf.slice(0, 5).join(', ')}`);
    if (onlyOurs.length > 0) diffs.push(`${what} only the guard sees: ${onlyOurs.slice(0, 5).join(', ')}`);
  };
  sameSet('resources', view.resources, graph.resources);
  sameSet('data sources', view.data, graph.data);
  sameSet(
    'modules',
    view.modules.map((m) =>
      m.key
        .split('.')
        .map((k) => `module.${k}`)
        .join('.'),
    ),
    graph.modules,
  );
  const unexpected = graph.providers.filter((p) => !view.providers.includes(p));
  if (unexpected.length > 0) diffs.push(`providers only Terraform sees: ${unexpected.join(', ')}`);
  diffs.push(...compareModules(view, modulesJson, workDir));
  return diffs;
}

function compareModules(view: ConfigView, modulesJson: string | undefined, workDir: string): string[] {
  if (modulesJson === undefined)
    return view.modules.length === 0 ? [] : ['terraform init installed no modules, the guard sees module calls'];
  let parsed: z.infer<typeof ModulesJson>;
  try {
    parsed = ModulesJson.parse(JSON.parse(modulesJson));
  } catch {
    return ['.terraform/modules/modules.json is not what Terraform writes'];
  }
  const diffs: string[] = [];
  const root = path.resolve(workDir);
  const calls = parsed.Modules.filter((m) => m.Key !== '');
  for (const m of calls) {
    const dir = path.resolve(root, m.Dir);
    if (dir !== root && !dir.startsWith(root + path.sep))
      diffs.push(`Terraform put module "${m.Key}" outside the deployment (${m.Dir})`);
    if (!/^\.\.?\//.test(m.Source))
      diffs.push(`Terraform read module "${m.Key}" source as "${m.Source}", not a relative path`);
    const ours = view.modules.find((v) => v.key === m.Key);
    if (ours === undefined) diffs.push(`Terraform installed module "${m.Key}", which the guard did not see`);
    else if (path.resolve(root, ours.dir) !== dir)
      diffs.push(`module "${m.Key}": Terraform reads ${m.Dir}, the guard read ${ours.dir || '.'}`);
  }
  for (const v of view.modules)
    if (!calls.some((m) => m.Key === v.key))
      diffs.push(`the guard sees module "${v.key}", Terraform did not install it`);
  return diffs;
}

/** Refusals found in a plan's `configuration` section (provisioners, types, module sources). */
export function checkPlanConfiguration(configuration: unknown, allow: InfraAllowList): string[] {
  const problems: string[] = [];
  const root = (configuration as { root_module?: unknown } | undefined)?.root_module;
  walkModule(root, '', allow, problems, 0);
  return problems;
}

interface PlanModule {
  resources?: Array<{ address?: string; mode?: string; type?: string; provisioners?: unknown[] }>;
  module_calls?: Record<string, { source?: string; module?: unknown }>;
}

function walkModule(m: unknown, prefix: string, allow: InfraAllowList, problems: string[], depth: number): void {
  if (m === null || typeof m !== 'object' || depth > 16) return;
  const mod = m as PlanModule;
  for (const r of mod.resources ?? []) {
    const where = `${prefix}${r.address ?? '?'}`;
    if (Array.isArray(r.provisioners) && r.provisioners.length > 0)
      problems.push(`${where} has a provisioner in Terraform's reading of the plan`);
    const refused = refuseType(allow, r.mode === 'data' ? 'data' : 'managed', r.type ?? '');
    if (refused) problems.push(`${where}: ${refused}`);
  }
  for (const [name, call] of Object.entries(mod.module_calls ?? {})) {
    if (typeof call.source !== 'string' || !/^\.\.?\//.test(call.source))
      problems.push(`module ${prefix}${name} has source "${String(call.source)}" in Terraform's reading of the plan`);
    walkModule(call.module, `${prefix}module.${name}.`, allow, problems, depth + 1);
  }
}
