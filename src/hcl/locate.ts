/**
 * Finds the exact text range of the value an edit request names: a resource block's attribute,
 * an element of an object expression, an attribute of a nested block, or — when the expression
 * is exactly `var.NAME` — the variable's value in a tfvars file or its `default`.
 */
import { classifyExpression, objectElemKey } from './literal.js';
import { kids, type HclNode, type HclParser } from './parser.js';
import { locateJsonValue } from './json-locate.js';
import { refuse, type Refusal } from '../shared/result.js';
import { lineAt, type ChainStep } from './value-chain.js';

export type FailCode =
  'NOT_FOUND' | 'NOT_LITERAL' | 'MODULE_INTERNAL' | 'AMBIGUOUS' | 'PARSE_ERROR' | 'INVALID_REQUEST';
export type Fail = Refusal<FailCode>;

/** A located literal: splice [start, end) of `file` to change the value. */
export interface Target {
  file: string;
  start: number;
  end: number;
  format: 'hcl' | 'json';
  source: 'literal' | 'variable';
  /** Path of the value in hcl2-parser's (or JSON.parse's) object for the file, for verification. */
  verifyPath: Array<string | number>;
  /** Human path, e.g. `resource.terraform_data.pool.input.node_count`, `worker_size`. */
  display: string;
  /** From the resource's attribute to the literal (the last step). */
  chain: ChainStep[];
  /** Root resource blocks that read the literal too (only with `sharedValues: 'allow'`). */
  sharedWith?: string[];
}

export type Walk =
  | { ok: true; start: number; end: number; verifyPath: Array<string | number> }
  | { ok: 'var'; name: string; rest: string[]; at: number }
  | Fail;

const fail = (code: FailCode, message: string): Fail => refuse(code, message);

/** `terraform_data.vm`, `terraform_data.vm[0]` → type and name; data sources and modules refused. */
export function parseAddress(address: string): { ok: true; type: string; name: string } | Fail {
  if (address.startsWith('module.')) {
    return fail(
      'MODULE_INTERNAL',
      `${address} is inside a module; editing a module's internals or call arguments is not supported`,
    );
  }
  if (address.startsWith('data.'))
    return fail('INVALID_REQUEST', `${address} is a data source; only managed resources can be edited`);
  const m = /^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)(\[[^\]]+\])?$/.exec(address);
  if (m === null) return fail('INVALID_REQUEST', `"${address}" is not a resource address like type.name`);
  return { ok: true, type: m[1] ?? '', name: m[2] ?? '' };
}

export function blockLabels(block: HclNode): { kind: string; labels: string[] } {
  const [id, ...rest] = kids(block);
  const labels = rest
    .filter((n) => n.type === 'string_lit' || n.type === 'identifier')
    .map((n) => (n.type === 'string_lit' ? n.text.slice(1, -1) : n.text));
  return { kind: id?.text ?? '', labels };
}

export function bodyOf(block: HclNode): HclNode | undefined {
  return kids(block).find((n) => n.type === 'body');
}

/** Top-level blocks of a config file with the given kind and labels. */
export function findBlocks(root: HclNode, kind: string, labels: string[]): HclNode[] {
  const body = kids(root).find((n) => n.type === 'body');
  return (body === undefined ? [] : kids(body)).filter((n) => {
    if (n.type !== 'block') return false;
    const b = blockLabels(n);
    return b.kind === kind && b.labels.join('\0') === labels.join('\0');
  });
}

function walkExpr(expr: HclNode, path: string[], vp: Array<string | number>, where: string): Walk {
  const c = classifyExpression(expr);
  if (c.kind === 'variable') return { ok: 'var', name: c.name, rest: path, at: expr.startIndex };
  if (path.length === 0) {
    if (c.kind === 'literal') return { ok: true, start: expr.startIndex, end: expr.endIndex, verifyPath: vp };
    if (c.kind === 'object') return fail('NOT_LITERAL', `${where} is an object; name an attribute inside it`);
    return fail('NOT_LITERAL', `${where}: ${c.kind === 'other' ? c.why : 'not a literal'}`);
  }
  if (c.kind !== 'object') {
    return fail(
      c.kind === 'literal' ? 'NOT_FOUND' : 'NOT_LITERAL',
      `${where} is not an object literal (\`${expr.text}\`), cannot reach ${path.join('.')}`,
    );
  }
  const [head, ...rest] = path as [string, ...string[]];
  const elems = kids(c.object).filter((e) => e.type === 'object_elem' && objectElemKey(e) === head);
  if (elems.length > 1) return fail('AMBIGUOUS', `${where}.${head} is set ${elems.length} times`);
  const val = elems[0]?.childForFieldName('val');
  if (val === null || val === undefined) return fail('NOT_FOUND', `${where}.${head} is not set`);
  return walkExpr(val, rest, [...vp, head], `${where}.${head}`);
}

/** Walks attributes and nested blocks of a body along `path`. */
export function walkBody(body: HclNode | undefined, path: string[], vp: Array<string | number>, where: string): Walk {
  const [head, ...rest] = path;
  if (head === undefined) return fail('INVALID_REQUEST', 'attributePath is empty');
  const items = body === undefined ? [] : kids(body);
  const attrs = items.filter((n) => n.type === 'attribute' && kids(n)[0]?.text === head);
  const blocks = items.filter((n) => n.type === 'block' && blockLabels(n).kind === head);
  const dynamic = items.filter(
    (n) => n.type === 'block' && blockLabels(n).kind === 'dynamic' && blockLabels(n).labels[0] === head,
  );
  if (dynamic.length > 0) return fail('NOT_LITERAL', `${where}.${head} is generated by a dynamic block`);
  if (attrs.length + blocks.length > 1)
    return fail('AMBIGUOUS', `${where}.${head} appears ${attrs.length + blocks.length} times`);
  const attr = attrs[0];
  if (attr !== undefined) {
    const expr = kids(attr)[1];
    if (expr === undefined) return fail('PARSE_ERROR', `${where}.${head} has no value`);
    return walkExpr(expr, rest, [...vp, head], `${where}.${head}`);
  }
  const block = blocks[0];
  if (block === undefined) {
    return fail('NOT_FOUND', `${where}.${head} is not set (adding new attributes is not supported)`);
  }
  if (rest.length === 0) return fail('NOT_LITERAL', `${where}.${head} is a block, not a value`);
  if (blockLabels(block).labels.length > 0) return fail('NOT_FOUND', `${where}.${head} is a labelled block`);
  return walkBody(bodyOf(block), rest, [...vp, head, 0], `${where}.${head}`);
}

export interface ConfigFiles {
  /** File name → content; `.tf` files are searched for blocks. */
  files: Readonly<Record<string, string>>;
  parser: HclParser;
}

function tfFiles(cfg: ConfigFiles): string[] {
  return Object.keys(cfg.files)
    .filter((f) => f.endsWith('.tf'))
    .sort();
}

/**
 * Runs `walk` on the single top-level block (kind, labels) across the `.tf` files.
 * NOT_FOUND when absent, AMBIGUOUS when declared more than once, PARSE_ERROR on syntax errors.
 */
export function inBlock<T = Walk>(
  cfg: ConfigFiles,
  kind: string,
  labels: string[],
  walk: (body: HclNode | undefined, file: string, block: HclNode | undefined) => T,
): { file: string; walk: T } | Fail {
  const hits: string[] = [];
  for (const file of tfFiles(cfg)) {
    const src = cfg.files[file] ?? '';
    const r = cfg.parser.withTree(src, (root) => (root.hasError ? 'error' : findBlocks(root, kind, labels).length));
    if (r === 'error') return fail('PARSE_ERROR', `${file} has an HCL syntax error`);
    for (let i = 0; i < r; i++) hits.push(file);
  }
  const label = `${kind} ${labels.map((l) => `"${l}"`).join(' ')}`;
  if (hits.length === 0) return fail('NOT_FOUND', `no ${label} block in ${tfFiles(cfg).join(', ') || 'any .tf file'}`);
  if (hits.length > 1) return fail('AMBIGUOUS', `${label} is declared ${hits.length} times (${hits.join(', ')})`);
  const file = hits[0] ?? '';
  const result = cfg.parser.withTree(cfg.files[file] ?? '', (root) => {
    const block = findBlocks(root, kind, labels)[0];
    return walk(block === undefined ? undefined : bodyOf(block), file, block);
  });
  return { file, walk: result };
}

/**
 * Files that can set a variable, lowest precedence first, as Terraform loads them:
 * terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order.
 */
export function tfvarsFiles(files: Readonly<Record<string, string>>): string[] {
  const names = Object.keys(files);
  const auto = names.filter((f) => f.endsWith('.auto.tfvars') || f.endsWith('.auto.tfvars.json')).sort();
  return [...['terraform.tfvars', 'terraform.tfvars.json'].filter((f) => names.includes(f)), ...auto];
}

function definesVariable(cfg: ConfigFiles, file: string, name: string): boolean | Fail {
  const src = cfg.files[file] ?? '';
  if (file.endsWith('.json')) {
    const r = locateJsonValue(src, [name]);
    return r.ok ? true : r.code === 'NOT_FOUND' ? false : fail(r.code, `${file}: ${r.message}`);
  }
  const r = cfg.parser.withTree(src, (root) =>
    root.hasError
      ? 'error'
      : kids(kids(root).find((n) => n.type === 'body') ?? root).some(
          (n) => n.type === 'attribute' && kids(n)[0]?.text === name,
        ),
  );
  return r === 'error' ? fail('PARSE_ERROR', `${file} has an HCL syntax error`) : r;
}

function inTfvars(cfg: ConfigFiles, file: string, name: string, rest: string[]): Target | Fail {
  const src = cfg.files[file] ?? '';
  const display = [name, ...rest].join('.');
  if (file.endsWith('.json')) {
    const r = locateJsonValue(src, [name, ...rest]);
    if (!r.ok) return fail(r.code, `${file}: ${r.message}`);
    return {
      file,
      start: r.start,
      end: r.end,
      format: 'json',
      source: 'variable',
      verifyPath: [name, ...rest],
      display,
      chain: [{ kind: 'tfvars', where: `${file} ${display}`, file, line: lineAt(src, r.start) }],
    };
  }
  const w = cfg.parser.withTree(src, (root) =>
    walkBody(
      kids(root).find((n) => n.type === 'body'),
      [name, ...rest],
      [],
      file,
    ),
  );
  if (w.ok === 'var') return fail('NOT_LITERAL', `${file}: ${name} refers to another variable`);
  if (!w.ok) return w;
  return {
    file,
    start: w.start,
    end: w.end,
    format: 'hcl',
    source: 'variable',
    verifyPath: w.verifyPath,
    display,
    chain: [{ kind: 'tfvars', where: `${file} ${display}`, file, line: lineAt(src, w.start) }],
  };
}

/** Resolves `var.NAME` (+ a remaining path inside its value) to the one place that sets it. */
export function locateVariable(cfg: ConfigFiles, name: string, rest: string[]): Target | Fail {
  const definers: string[] = [];
  for (const file of tfvarsFiles(cfg.files)) {
    const d = definesVariable(cfg, file, name);
    if (typeof d !== 'boolean') return d;
    if (d) definers.push(file);
  }
  if (definers.length > 1) {
    // Editing the lower-precedence file would change nothing; editing only the winner leaves a
    // stale copy behind. A human should decide.
    return fail(
      'AMBIGUOUS',
      `variable ${name} is set in ${definers.join(', ')}; the last one wins in Terraform, refusing to guess`,
    );
  }
  const file = definers[0];
  if (file !== undefined) return inTfvars(cfg, file, name, rest);
  const found = inBlock(cfg, 'variable', [name], (body) =>
    walkBody(body, ['default', ...rest], ['variable', name, 0], `variable.${name}`),
  );
  if (!('walk' in found))
    return found.code === 'NOT_FOUND' ? fail('NOT_FOUND', `variable ${name} is not declared`) : found;
  const w = found.walk;
  if (w.ok === 'var') return fail('NOT_LITERAL', `variable ${name}'s default refers to another variable`);
  if (!w.ok) {
    return w.code === 'NOT_FOUND' && rest.length === 0
      ? fail(
          'NOT_FOUND',
          `variable ${name} has no default and no tfvars file sets it (-var / TF_VAR_ values cannot be edited)`,
        )
      : w;
  }
  return {
    file: found.file,
    start: w.start,
    end: w.end,
    format: 'hcl',
    source: 'variable',
    verifyPath: w.verifyPath,
    display: `variable.${name}.default${rest.length ? `.${rest.join('.')}` : ''}`,
    chain: [
      {
        kind: 'variable_default',
        where: `variable "${name}" default${rest.length ? `.${rest.join('.')}` : ''}`,
        file: found.file,
        line: lineAt(cfg.files[found.file] ?? '', w.start),
      },
    ],
  };
}
