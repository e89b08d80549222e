/**
 * Comment-preserving edits of one value in a Terraform configuration. The value's text range is
 * found with tree-sitter (hcl-locate.ts) and only that range is replaced; every other character
 * of every file stays identical. The result is verified with a second parser (hcl-verify.ts).
 * Pure apart from loading the grammar: takes file contents, returns new contents.
 *
 * Not done here: `terraform fmt` (needs the TerraformRunner; the executor runs it on the staged
 * copy), inserting attributes that are not set, editing module call arguments.
 */
import type { FileSet } from '../shared/file-set.js';
import type { Refusal } from '../shared/result.js';
import { renderHcl, renderJson, valueTypeOf, type HclValue } from './literal.js';
import { inBlock, locateVariable, parseAddress, walkBody, type ConfigFiles, type Fail, type Target } from './locate.js';
import { HclParser } from './parser.js';
import { decodeHclLiteral, verifyEdit } from './verify.js';
import { unifiedDiff } from '../plan/unified-diff.js';

export type { HclValue } from './literal.js';
export { HclParser } from './parser.js';

export interface EditRequest {
  /** Block address, e.g. `terraform_data.vm`; an instance key (`[0]`) is ignored. */
  address: string;
  /** ['count'] | ['node_count'] | ['input','node_count'] | ['autoscaling','max_node_count'] */
  attributePath: string[];
  value: HclValue;
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
    }
  | Refusal<EditCode>;

export type ReadResult =
  { ok: true; value: HclValue; source: 'literal' | 'variable'; file: string } | Refusal<EditCode>;

/** Finds the one text range holding the value of `attributePath` on `address`. */
export function locateTarget(cfg: ConfigFiles, address: string, attributePath: string[]): Target | Fail {
  const addr = parseAddress(address);
  if (!addr.ok) return addr;
  if (attributePath.length === 0 || attributePath.some((p) => p.length === 0)) {
    return { ok: false, code: 'INVALID_REQUEST', message: 'attributePath must name at least one non-empty attribute' };
  }
  const where = `${addr.type}.${addr.name}`;
  const found = inBlock(cfg, 'resource', [addr.type, addr.name], (body) =>
    walkBody(body, attributePath, ['resource', addr.type, addr.name, 0], where),
  );
  if (!('walk' in found)) return found;
  const w = found.walk;
  if (w.ok === 'var') return locateVariable(cfg, w.name, w.rest);
  if (!w.ok) return w;
  return {
    file: found.file,
    start: w.start,
    end: w.end,
    format: 'hcl',
    source: 'literal',
    verifyPath: w.verifyPath,
    display: `${where}.${attributePath.join('.')}`,
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
): Promise<ReadResult> {
  const cfg = { files, parser: parser ?? (await HclParser.create()) };
  const t = locateTarget(cfg, address, attributePath);
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
  const t = locateTarget({ files, parser: hcl }, req.address, req.attributePath);
  if ('ok' in t) return t;
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
  if (current === req.value) return { ok: true, files: {}, changes: [], diff: '', source: t.source };
  const rendered = t.format === 'hcl' ? renderHcl(req.value) : renderJson(req.value);
  if (rendered === undefined)
    return { ok: false, code: 'INVALID_REQUEST', message: `value ${String(req.value)} cannot be written as a literal` };
  const after = src.slice(0, t.start) + rendered + src.slice(t.end);
  const problem =
    verifyEdit(t.format, src, after, t.verifyPath, req.value) ??
    checkResult({ files: { ...files, [t.file]: after }, parser: hcl }, t, req.value, req.address, req.attributePath);
  if (problem !== undefined) return { ok: false, code: 'VERIFY_FAILED', message: `${t.file}: ${problem}` };
  return {
    ok: true,
    files: { [t.file]: after },
    changes: [{ file: t.file, path: t.display, before: beforeText, after: rendered }],
    diff: unifiedDiff(t.file, src, after),
    source: t.source,
  };
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
): string | undefined {
  if (t.format === 'hcl' && cfg.parser.withTree(cfg.files[t.file] ?? '', (root) => root.hasError)) {
    return 'the edited file has a syntax error';
  }
  const again = locateTarget(cfg, address, path);
  if ('ok' in again) return `the edited value cannot be found again: ${again.message}`;
  const text = (cfg.files[again.file] ?? '').slice(again.start, again.end);
  if (again.file !== t.file || again.start !== t.start || decode(again, text) !== value) {
    return 'the edited value does not read back as the intended literal';
  }
  return undefined;
}
