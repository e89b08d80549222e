/**
 * The allow-list guard over a whole set of configuration files (POST /infra submissions, and the
 * fix agent's edits): every file is read, native files twice (tree-sitter and HashiCorp's HCL
 * parser, which must agree), JSON files strictly (no repeated keys); local modules are followed
 * from the root and must stay inside the deployment. The result is either the configuration's
 * view (what Terraform's own reading must then match, see terraform-reading.ts) or the refusals.
 *
 * No I/O besides loading the tree-sitter grammar once.
 */
import path from 'node:path';
import hcl2 from 'hcl2-parser';
import { HclParser } from '../hcl/parser.js';
import { refuse, type Refusal, type Result } from '../shared/result.js';
import { INFRA_ALLOW_LIST, providerOfType, type InfraAllowList } from './allow-list.js';
import type { Finding } from './expression-check.js';
import { emptyView, plainFinding, viewSignature, type FileView } from './file-view.js';
import { readJsonView } from './json-view.js';
import { readNativeFile } from './native-view.js';
import { parseStrictJson, type JsonValue } from './strict-json.js';

/** The configuration as the guard read it, with full addresses (`module.a.terraform_data.b`). */
export interface ConfigView {
  resources: string[];
  data: string[];
  /** Module calls by key (`a`, `a.b`), with the directory each resolves to, relative to the root. */
  modules: Array<{ key: string; source: string; dir: string }>;
  /** Full provider source addresses the configuration uses or declares. */
  providers: string[];
}

export type GuardResult =
  { ok: true; view: ConfigView } | (Refusal<'CONFIG_REFUSED'> & { file: string; findings: Finding[] });

export interface GuardOptions {
  /**
   * POST /infra: every root variable must be set by a submitted auto-loaded tfvars file, so a
   * value can never come from the service's environment (`TF_VAR_*`) instead.
   */
  requireTfvars?: boolean;
}

const MAX_MODULE_DEPTH = 8;
const AUTO_TFVARS = /^(terraform\.tfvars|terraform\.tfvars\.json|[^/]+\.auto\.tfvars|[^/]+\.auto\.tfvars\.json)$/;

type Kind = 'config' | 'tfvars' | 'skip' | 'other' | 'override';

function kindOf(name: string): Kind {
  const base = path.posix.basename(name);
  if (base === '.terraform.lock.hcl') return 'skip';
  if (/(^|_)override\.tf(\.json)?$/.test(base)) return 'override';
  if (base.endsWith('.tf') || base.endsWith('.tf.json')) return 'config';
  if (base.endsWith('.tfvars') || base.endsWith('.tfvars.json')) return 'tfvars';
  return 'other';
}

function dirOf(name: string): string {
  const d = path.posix.dirname(name);
  return d === '.' ? '' : d;
}

export class ConfigGuard {
  private parser: Promise<HclParser> | undefined;

  constructor(private readonly allow: InfraAllowList = INFRA_ALLOW_LIST) {}

  get allowList(): InfraAllowList {
    return this.allow;
  }

  /** Checks every file and the module tree. Refusals are the return value; never throws for bad input. */
  async check(files: Record<string, string>, options: GuardOptions = {}): Promise<GuardResult> {
    const { views, findings } = await this.readAll(files);
    const view: ConfigView = { resources: [], data: [], modules: [], providers: [] };
    this.collect(views, '', '', [], view, findings);
    if (options.requireTfvars) findings.push(...unsetVariables(views, files));
    if (findings.length === 0)
      return {
        ok: true,
        view: {
          ...view,
          resources: view.resources.sort(),
          data: view.data.sort(),
          providers: [...new Set(view.providers)].sort(),
        },
      };
    const first = findings[0] as Finding;
    const more =
      findings.length > 1 ? ` (and ${findings.length - 1} more refusal${findings.length > 2 ? 's' : ''})` : '';
    return { ...refuse('CONFIG_REFUSED', `${first.message}${more}`), file: first.file, findings };
  }

  /** Every refusal in `files`, deduplicated by what was refused (for comparing before/after a fix). */
  async findings(files: Record<string, string>): Promise<Finding[]> {
    const r = await this.check(files);
    return r.ok ? [] : r.findings;
  }

  private async readAll(files: Record<string, string>): Promise<{ views: Map<string, FileView>; findings: Finding[] }> {
    this.parser ??= HclParser.create();
    const parser = await this.parser;
    const views = new Map<string, FileView>();
    const findings: Finding[] = [];
    for (const name of Object.keys(files).sort()) {
      const kind = kindOf(name);
      if (kind === 'skip') continue;
      if (kind === 'other') {
        findings.push(plainFinding(name, null, 'not a Terraform configuration or tfvars file'));
        continue;
      }
      if (kind === 'override') {
        // Terraform merges these into other files' blocks (a module's source, a resource's body).
        findings.push(
          plainFinding(
            name,
            null,
            'override files are not allowed: Terraform merges them into the blocks of other files',
          ),
        );
        continue;
      }
      const v = readFile(parser, name, files[name] ?? '', this.allow, kind);
      views.set(name, v);
      findings.push(...v.findings);
    }
    return { views, findings: dedupe(findings) };
  }

  /** Adds the module at `dir` (called as `prefix`) and, recursively, its local module calls. */
  private collect(
    views: Map<string, FileView>,
    dir: string,
    key: string,
    chain: string[],
    out: ConfigView,
    findings: Finding[],
  ): void {
    const addr =
      key === ''
        ? ''
        : `${key
            .split('.')
            .map((k) => `module.${k}`)
            .join('.')}.`;
    const here = [...views.entries()].filter(([n]) => dirOf(n) === dir && kindOf(n) === 'config');
    for (const [file, v] of here) {
      out.resources.push(...v.resources.map((r) => addr + r));
      out.data.push(...v.data.map((d) => addr + d));
      for (const t of [...v.resources, ...v.data.map((d) => d.slice(5))])
        out.providers.push(this.sourceOf(providerOfType(t.split('.')[0] ?? '')));
      out.providers.push(...v.providers.map((p) => this.sourceOf(p)));
      for (const call of v.moduleCalls) {
        const target = path.posix.normalize(path.posix.join(dir === '' ? '.' : dir, call.source));
        const childKey = key === '' ? call.name : `${key}.${call.name}`;
        const problem = moduleDirProblem(target, views, chain.length);
        if (problem) {
          findings.push(plainFinding(file, null, `module "${call.name}" source "${call.source}" ${problem}`));
          continue;
        }
        const childDir = target === '.' ? '' : target;
        if (chain.includes(childDir) || childDir === dir) {
          findings.push(plainFinding(file, null, `module "${call.name}" calls a module that calls it back (a cycle)`));
          continue;
        }
        out.modules.push({ key: childKey, source: call.source, dir: childDir });
        this.collect(views, childDir, childKey, [...chain, dir], out, findings);
      }
    }
  }

  private sourceOf(localName: string): string {
    return this.allow.providers[localName]?.source ?? `(not allowed: ${localName})`;
  }
}

/** Why a module directory is refused: outside the deployment, hidden, missing, or too deep. */
function moduleDirProblem(target: string, views: Map<string, FileView>, depth: number): string | undefined {
  if (target === '..' || target.startsWith('../') || path.posix.isAbsolute(target))
    return 'points outside the deployment directory';
  if (target.split('/').some((seg) => seg.startsWith('.') && seg !== '.')) return 'points into a hidden directory';
  if (depth + 1 > MAX_MODULE_DEPTH) return `nests modules deeper than ${MAX_MODULE_DEPTH} levels`;
  const dir = target === '.' ? '' : target;
  if (![...views.keys()].some((n) => dirOf(n) === dir && kindOf(n) === 'config'))
    return 'names a directory with no submitted configuration files';
  return undefined;
}

/** Root variables that no submitted auto-loaded tfvars file sets. */
function unsetVariables(views: Map<string, FileView>, files: Record<string, string>): Finding[] {
  const assigned = new Set<string>();
  for (const [name, v] of views)
    if (dirOf(name) === '' && AUTO_TFVARS.test(name)) v.assigned.forEach((a) => assigned.add(a));
  const out: Finding[] = [];
  for (const [name, v] of views) {
    if (dirOf(name) !== '' || kindOf(name) !== 'config' || files[name] === undefined) continue;
    for (const variable of v.variables.filter((x) => !assigned.has(x))) {
      out.push(
        plainFinding(
          name,
          null,
          `variable "${variable}" has no value in a submitted terraform.tfvars or *.auto.tfvars file (the service's own environment, TF_VAR_${variable}, could supply it instead)`,
        ),
      );
    }
  }
  return out;
}

function readFile(
  parser: HclParser,
  name: string,
  text: string,
  allow: InfraAllowList,
  kind: 'config' | 'tfvars',
): FileView {
  if (name.endsWith('.json')) {
    const doc = parseStrictJson(text);
    if (!doc.ok)
      return {
        ...emptyView(),
        findings: [plainFinding(name, null, `invalid or ambiguous JSON: ${doc.message}`, 'json')],
      };
    return readJsonView(parser, name, doc.value, allow, kind);
  }
  const ts = readNativeFile(parser, name, text, allow, kind);
  if (ts.findings.some((f) => f.key === `${name}|syntax`)) return ts;
  const hashicorp = hashicorpReading(text);
  if (!hashicorp.ok)
    return {
      ...ts,
      findings: [
        ...ts.findings,
        plainFinding(name, null, `HashiCorp's HCL parser refused the file: ${hashicorp.message}`, 'hcl2'),
      ],
    };
  const second = readJsonView(parser, name, hashicorp.doc, allow, kind);
  const findings = [...ts.findings, ...second.findings];
  if (viewSignature(ts) !== viewSignature(second)) {
    findings.push(
      plainFinding(
        name,
        null,
        `the two readings of this file disagree (tree-sitter: ${viewSignature(ts)}; HashiCorp HCL: ${viewSignature(second)})`,
        'disagree',
      ),
    );
  }
  return { ...ts, findings };
}

/** HashiCorp's own HCL parser (hcl2-parser: hcl/v2 + hcl2json), as a second reading of a native file. */
function hashicorpReading(text: string): Result<{ doc: JsonValue }, 'HCL_SYNTAX'> {
  try {
    const [doc, error] = (hcl2 as { parseToObject: (s: string) => [unknown, unknown] }).parseToObject(text);
    if (error || doc === null || doc === undefined)
      return refuse('HCL_SYNTAX', String(error ?? 'no result').split('\n')[0] ?? '');
    return { ok: true, doc: doc as JsonValue };
  } catch (err) {
    return refuse('HCL_SYNTAX', (err as Error).message);
  }
}

function dedupe(list: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of list) {
    const prev = byKey.get(f.key);
    if (prev === undefined || (prev.line === null && f.line !== null)) byKey.set(f.key, f);
  }
  // Keep the original order of first appearance.
  return list.filter((f, i) => byKey.get(f.key) === f && list.indexOf(f) === i);
}
