/**
 * Comment-preserving edits of one value in a Terraform configuration. The value's text range is
 * found with tree-sitter (hcl-locate.ts) and only that range is replaced; every other character
 * of every file stays identical. The result is verified with a second parser (hcl-verify.ts).
 * Pure apart from loading the grammar: takes file contents, returns new contents.
 *
 * With `create: N` the last N segments of the path may be missing: the value is then added (a new
 * map entry, and the map attribute itself when absent) at the end of its block or object
 * (insert.ts). Resource blocks are read from `.tf` and `.tf.json` files.
 *
 * Not done here: `terraform fmt` (needs the TerraformRunner; the executor runs it on the staged
 * copy), editing module call arguments.
 */
import type { FileSet } from '../shared/file-set.js';
import type { Refusal } from '../shared/result.js';
import { renderHcl, renderJson, valueTypeOf, type HclValue } from './literal.js';
import { inBlock, parseAddress, type ConfigFiles, type Fail, type Target } from './locate.js';
import { traceValue, type TraceFail, type TraceOptions } from './trace.js';
import { HclParser } from './parser.js';
import { decodeHclLiteral, verifyEdit } from './verify.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { applySplices, locateInsert } from './insert.js';
import { findJsonResources, isJsonTemplate, walkJson, type JsonResource } from './tf-json.js';
import { readIgnoreChanges as readRule, type IgnoreChangesRule } from './lifecycle.js';
import { refuse } from '../shared/result.js';
import { lineAt, type ValueChain } from './value-chain.js';

export type { HclValue } from './literal.js';
export type { ChainStep, ValueChain } from './value-chain.js';
export { chainRecord, formatChain } from './value-chain.js';
export type { IgnoreChangesRule } from './lifecycle.js';
export { ignoreCovers } from './lifecycle.js';
export { HclParser } from './parser.js';

export interface EditRequest {
  /** Block address, e.g. `terraform_data.vm`; an instance key (`[0]`) is ignored. */
  address: string;
  /** ['count'] | ['node_count'] | ['input','node_count'] | ['autoscaling','max_node_count'] */
  attributePath: string[];
  value: HclValue;
  /**
   * How many trailing segments may be absent and are then added (0, the default: the value must
   * already be set). 2 for `annotations["kubectl.kubernetes.io/restartedAt"]`: the map entry, and
   * the `annotations` map itself when missing.
   */
  create?: number;
  /** Var files the deployment passes with -var-file, in order (deployment-relative paths). */
  varFiles?: string[];
  /** Policy `shared_values`: `allow` edits a literal other root resources read too (named in the chain). */
  sharedValues?: 'refuse' | 'allow';
}

/** The run dir's *.tf, *.tfvars, *.auto.tfvars(.json) contents by file name. */
export type { FileSet } from '../shared/file-set.js';

export type EditCode =
  'NOT_FOUND' | 'NOT_LITERAL' | 'MODULE_INTERNAL' | 'AMBIGUOUS' | 'PARSE_ERROR' | 'VERIFY_FAILED' | 'INVALID_REQUEST';

export type EditResult =
  | {
      ok: true;
      /** Only the changed files; empty when the value already had the requested value. */
      files: FileSet;
      changes: Array<{ file: string; path: string; before: string; after: string }>;
      /** Unified diff of the changed files ('' when nothing changed). */
      diff: string;
      /** Where the value lives: the resource block itself, or a variable it reads. */
      source: 'literal' | 'variable';
      /** From the instance's attribute back to the edited literal, with its old and new value. */
      chain: ValueChain;
    }
  | Refusal<EditCode>;

export type ReadResult =
  { ok: true; value: HclValue; source: 'literal' | 'variable'; file: string } | Refusal<EditCode>;

/**
 * Finds the one text range holding the value of `attributePath` on the instance `address`
 * (module path and instance key included), following modules, variables, locals and for_each
 * (trace.ts). A root resource declared only in `.tf.json` is read there.
 */
export function locateTarget(
  cfg: ConfigFiles,
  address: string,
  attributePath: string[],
  opts: TraceOptions = {},
): Target | TraceFail {
  if (attributePath.length === 0 || attributePath.some((p) => p.length === 0)) {
    return { ...refuse('INVALID_REQUEST', 'attributePath must name at least one non-empty attribute'), chain: [] };
  }
  if (!address.startsWith('module.')) {
    const addr = parseAddress(address);
    if (!addr.ok) return { ...addr, chain: [] };
    const json = findJsonResources(cfg.files, addr.type, addr.name);
    if (!Array.isArray(json)) return { ...json, chain: [] };
    if (json.length > 0) {
      const where = `${addr.type}.${addr.name}`;
      const found = inBlock(cfg, 'resource', [addr.type, addr.name], () => true);
      if ('file' in found)
        return {
          ...refuse(
            'AMBIGUOUS',
            `resource "${addr.type}" "${addr.name}" is declared in ${found.file} and ${json[0]?.file}`,
          ),
          chain: [],
        };
      if (found.code !== 'NOT_FOUND') return { ...found, chain: [] };
      const j = inJson(json, attributePath, where, cfg.files);
      return 'ok' in j ? { ...j, chain: [] } : j;
    }
  }
  return traceValue(cfg, address, attributePath, opts);
}

function inJson(
  json: JsonResource[],
  attributePath: string[],
  where: string,
  files: ConfigFiles['files'],
): Target | Fail {
  if (json.length > 1)
    return refuse('AMBIGUOUS', `${where} is declared ${json.length} times (${json.map((j) => j.file).join(', ')})`);
  const res = json[0] as (typeof json)[number];
  const display = `${where}.${attributePath.join('.')}`;
  const w = walkJson(res.node, attributePath, res.path, where);
  if (w.ok === 'missing') return refuse('NOT_FOUND', `${display} is not set in ${res.file}`);
  if (w.ok !== true) return w;
  const value = w.node.kind === 'scalar' ? w.node.value : undefined;
  if (w.node.kind !== 'scalar' || isJsonTemplate(value) || value === null)
    return refuse('NOT_LITERAL', `${display} in ${res.file} is not a literal number, string or bool`);
  return {
    chain: [{ kind: 'attribute', where: display, file: res.file, line: lineAt(files[res.file] ?? '', w.node.start) }],
    file: res.file,
    start: w.node.start,
    end: w.node.end,
    format: 'json',
    source: 'literal',
    verifyPath: w.verifyPath,
    display,
  };
}

function decode(t: Target, text: string): unknown {
  if (t.format === 'hcl') return decodeHclLiteral(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asHclValue(v: unknown): HclValue | undefined {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : undefined;
}

/** Reads the current value the request would edit (literal, tfvars or variable default). */
export async function readHclValue(
  files: FileSet,
  address: string,
  attributePath: string[],
  parser?: HclParser,
  opts: TraceOptions = {},
): Promise<ReadResult> {
  const cfg = { files, parser: parser ?? (await HclParser.create()) };
  const t = locateTarget(cfg, address, attributePath, opts);
  if ('ok' in t) return t;
  const value = asHclValue(decode(t, (files[t.file] ?? '').slice(t.start, t.end)));
  if (value === undefined)
    return { ok: false, code: 'NOT_LITERAL', message: `${t.display} in ${t.file} is not a number, string or bool` };
  return { ok: true, value, source: t.source, file: t.file };
}

/**
 * Sets one value, keeping every other character of every file. Never throws for an expected
 * refusal (returns ok:false with a code); idempotent: the same request on the result is a no-op.
 */
export async function editHcl(files: FileSet, req: EditRequest, parser?: HclParser): Promise<EditResult> {
  const hcl = parser ?? (await HclParser.create());
  const opts = {
    ...(req.varFiles !== undefined && { varFiles: req.varFiles }),
    ...(req.sharedValues !== undefined && { sharedValues: req.sharedValues }),
  };
  const t = locateTarget({ files, parser: hcl }, req.address, req.attributePath, opts);
  if ('ok' in t && t.code === 'NOT_FOUND' && (req.create ?? 0) > 0)
    return insertValue(files, req, hcl, req.create ?? 0);
  if ('ok' in t) return t;
  if (t.file.endsWith('.tf.json') && isJsonTemplate(req.value))
    return refuse('INVALID_REQUEST', `${t.display}: a .tf.json string with \${ or %{ would be a template`);
  const src = files[t.file] ?? '';
  const beforeText = src.slice(t.start, t.end);
  const current = asHclValue(decode(t, beforeText));
  if (current === undefined)
    return { ok: false, code: 'NOT_LITERAL', message: `${t.display} in ${t.file} is not a number, string or bool` };
  if (valueTypeOf(current) !== valueTypeOf(req.value)) {
    return {
      ok: false,
      code: 'INVALID_REQUEST',
      message: `${t.display} is a ${valueTypeOf(current)}; refusing to write a ${valueTypeOf(req.value)}`,
    };
  }
  const chain: ValueChain = {
    steps: t.chain,
    from: current,
    to: req.value,
    ...(t.sharedWith !== undefined && { sharedWith: t.sharedWith }),
  };
  if (current === req.value) return { ok: true, files: {}, changes: [], diff: '', source: t.source, chain };
  const rendered = t.format === 'hcl' ? renderHcl(req.value) : renderJson(req.value);
  if (rendered === undefined)
    return { ok: false, code: 'INVALID_REQUEST', message: `value ${String(req.value)} cannot be written as a literal` };
  const after = src.slice(0, t.start) + rendered + src.slice(t.end);
  const problem =
    verifyEdit(t.format, src, after, t.verifyPath, req.value) ??
    checkResult(
      { files: { ...files, [t.file]: after }, parser: hcl },
      t,
      req.value,
      req.address,
      req.attributePath,
      opts,
    );
  if (problem !== undefined) return { ok: false, code: 'VERIFY_FAILED', message: `${t.file}: ${problem}` };
  return {
    ok: true,
    files: { [t.file]: after },
    changes: [{ file: t.file, path: t.display, before: beforeText, after: rendered }],
    diff: unifiedDiff(t.file, src, after),
    source: t.source,
    chain,
  };
}

/** Adds a value that is not set yet (a map entry, and the map when missing): only new text is inserted. */
async function insertValue(files: FileSet, req: EditRequest, hcl: HclParser, create: number): Promise<EditResult> {
  const ins = locateInsert({ files, parser: hcl }, req.address, req.attributePath, create, req.value);
  if ('ok' in ins) return ins;
  if (ins.format === 'json' && isJsonTemplate(req.value))
    return refuse('INVALID_REQUEST', `${ins.display}: a .tf.json string with \${ or %{ would be a template`);
  const src = files[ins.file] ?? '';
  const after = applySplices(src, ins.splices);
  const problem =
    verifyEdit(ins.format, src, after, ins.verifyPath, req.value, true) ??
    readsBack({ files: { ...files, [ins.file]: after }, parser: hcl }, ins.file, ins.format, req);
  if (problem !== undefined) return { ok: false, code: 'VERIFY_FAILED', message: `${ins.file}: ${problem}` };
  const added = after.length - src.length;
  const start = Math.min(...ins.splices.map((x) => x.start));
  return {
    ok: true,
    files: { [ins.file]: after },
    changes: [{ file: ins.file, path: ins.display, before: '', after: after.slice(start, start + added).trim() }],
    diff: unifiedDiff(ins.file, src, after),
    source: 'literal',
    chain: {
      steps: [{ kind: 'attribute', where: ins.display, file: ins.file, line: lineAt(after, start) }],
      from: null,
      to: req.value,
    },
  };
}

function readsBack(cfg: ConfigFiles, file: string, format: 'hcl' | 'json', req: EditRequest): string | undefined {
  if (format === 'hcl' && cfg.parser.withTree(cfg.files[file] ?? '', (root) => root.hasError))
    return 'the edited file has a syntax error';
  const again = locateTarget(cfg, req.address, req.attributePath, req.varFiles ? { varFiles: req.varFiles } : {});
  if ('ok' in again) return `the added value cannot be found again: ${again.message}`;
  const text = (cfg.files[again.file] ?? '').slice(again.start, again.end);
  if (again.file !== file || decode(again, text) !== req.value)
    return 'the added value does not read back as the intended literal';
  return undefined;
}

/** The target block's `lifecycle { ignore_changes }` (file, line, paths), undefined when it has none. */
export async function readIgnoreChanges(
  files: FileSet,
  address: string,
  parser?: HclParser,
): Promise<{ ok: true; rule: IgnoreChangesRule | undefined } | Refusal<EditCode>> {
  return readRule({ files, parser: parser ?? (await HclParser.create()) }, address);
}

/**
 * tree-sitter must accept the result too, and must see the new text as a plain literal: hcl2
 * renders an interpolation `${x}` and the escaped text `$${x}` alike, so only the CST can tell
 * that a string value did not turn into a template.
 */
function checkResult(
  cfg: ConfigFiles,
  t: Target,
  value: HclValue,
  address: string,
  path: string[],
  opts: TraceOptions,
): string | undefined {
  if (t.format === 'hcl' && cfg.parser.withTree(cfg.files[t.file] ?? '', (root) => root.hasError)) {
    return 'the edited file has a syntax error';
  }
  const again = locateTarget(cfg, address, path, opts);
  if ('ok' in again) return `the edited value cannot be found again: ${again.message}`;
  const text = (cfg.files[again.file] ?? '').slice(again.start, again.end);
  if (again.file !== t.file || again.start !== t.start || decode(again, text) !== value) {
    return 'the edited value does not read back as the intended literal';
  }
  return undefined;
}
