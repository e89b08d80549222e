/**
 * The value tracer: from a resource INSTANCE address (`module.gke.google_container_node_pool.pools["default"]`)
 * and an attribute path back to the one literal a person wrote. Follows local module call arguments
 * (`var.X` inside a module ← `module "gke" { X = … }`), variables (var files by Terraform's
 * precedence, else the default), locals, `for_each` + `each.value.X` (maps/objects by the instance
 * key; list-of-objects through `{ for p in LIST : p.name => p }` by the name) and `count = var.X`.
 * Refuses computed expressions, remote modules, values set in two places and values other
 * resources read too, always with the chain so far.
 */
import { classifyExpression, objectElemKey } from './literal.js';
import { kids, type HclNode } from './parser.js';
import { blockLabels, bodyOf, findBlocks, type ConfigFiles, type Fail, type FailCode, type Target } from './locate.js';
import { locateJsonValue } from './json-locate.js';
import { readPaths, readsValue } from './field-readers.js';
import { formatSteps, lineAt, showPath, type ChainStep } from './value-chain.js';

type Key = string | number;
type Seg = string | number | { select: string; equals: string };

interface Ref {
  root: 'var' | 'local' | 'each';
  name: string;
  path: Seg[];
}

interface ForEach {
  file: string;
  line: number;
  key: Key | undefined;
  /** `for_each = REF` or `{ for p in REF : p.NAME => p }` (then `select` = NAME). */
  ref?: Ref;
  select?: string;
  why?: string;
}

interface Call {
  name: string;
  key: Key | undefined;
  file: string;
  /** The scope the call block sits in. */
  caller: Scope;
  display: string;
}

interface Scope {
  dir: string;
  call: Call | undefined;
  each: ForEach | undefined;
  /** Display prefix: `module.gke.` */
  prefix: string;
}

export interface TraceOptions {
  /** Var files passed with -var-file, in order (deployment-relative), highest precedence last. */
  varFiles?: readonly string[];
  /**
   * `allow` (policy `shared_values`): a literal other root resource blocks read too is edited, and
   * they are named in `sharedWith`. Sharers through locals, module calls or a module used twice
   * are refused either way. Default `refuse`.
   */
  sharedValues?: 'refuse' | 'allow';
}

type Found =
  | { kind: 'literal'; file: string; start: number; end: number; format: 'hcl' | 'json'; vp: Array<string | number> }
  | { kind: 'ref'; ref: Ref; file: string; at: number };

class Refused {
  constructor(
    readonly code: FailCode,
    readonly message: string,
  ) {}
}

const refused = (code: FailCode, message: string): never => {
  throw new Refused(code, message);
};

// ---------------------------------------------------------------- paths and files

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

export function joinDir(dir: string, rel: string): string {
  const out: string[] = dir === '' ? [] : dir.split('/');
  for (const part of rel.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

function tfIn(cfg: ConfigFiles, dir: string): string[] {
  return Object.keys(cfg.files)
    .filter((f) => f.endsWith('.tf') && dirOf(f) === dir)
    .sort();
}

// ---------------------------------------------------------------- addresses

interface Address {
  modules: Array<{ name: string; key: Key | undefined }>;
  type: string;
  name: string;
  key: Key | undefined;
}

function parseKey(text: string | undefined): Key | undefined {
  if (text === undefined) return undefined;
  const inner = text.slice(1, -1).trim();
  if (/^\d+$/.test(inner)) return Number(inner);
  try {
    const v = JSON.parse(inner) as unknown;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function parseInstanceAddress(address: string): Address | Fail {
  const seg = /^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)(\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?/;
  const modules: Address['modules'] = [];
  let rest = address;
  for (;;) {
    const m = seg.exec(rest);
    if (m === null) return { ok: false, code: 'INVALID_REQUEST', message: `"${address}" is not a resource address` };
    const after = rest.slice(m[0].length);
    if (m[1] === 'module') {
      modules.push({ name: m[2] ?? '', key: parseKey(m[3]) });
      if (!after.startsWith('.'))
        return { ok: false, code: 'INVALID_REQUEST', message: `"${address}" names a module, not a resource` };
      rest = after.slice(1);
      continue;
    }
    if (m[1] === 'data')
      return {
        ok: false,
        code: 'INVALID_REQUEST',
        message: `${address} is a data source; only managed resources can be edited`,
      };
    if (after !== '')
      return { ok: false, code: 'INVALID_REQUEST', message: `"${address}" is not a resource address like type.name` };
    return { modules, type: m[1] ?? '', name: m[2] ?? '', key: parseKey(m[3]) };
  }
}

function showKey(k: Key | undefined): string {
  return k === undefined ? '' : typeof k === 'number' ? `[${k}]` : `[${JSON.stringify(k)}]`;
}

// ---------------------------------------------------------------- CST helpers

/** `var.a.b["c"][0]`, `local.x`, `each.value.y`: a plain reference, else undefined. */
function refOf(expr: HclNode): Ref | undefined {
  const parts = kids(expr).filter((n) => n.type !== 'comment');
  const [head, ...rest] = parts;
  if (head?.type !== 'variable_expr') return undefined;
  const path: Seg[] = [];
  for (const p of rest) {
    if (p.type === 'get_attr') {
      const id = kids(p).find((n) => n.type === 'identifier');
      if (id === undefined) return undefined;
      path.push(id.text);
    } else if (p.type === 'index') {
      const k = parseKey(p.text);
      if (k === undefined) return undefined;
      path.push(k);
    } else return undefined;
  }
  const root = head.text;
  if (root === 'var' || root === 'local' || root === 'each') {
    const [name, ...tail] = path;
    if (typeof name !== 'string') return undefined;
    return { root, name, path: tail };
  }
  return undefined;
}

function describeComputed(expr: HclNode): string {
  const t = expr.text.replace(/\s+/g, ' ');
  const parts = kids(expr);
  const first = parts[0];
  const what =
    first?.type === 'conditional'
      ? 'a conditional'
      : first?.type === 'function_call'
        ? `a function call (${kids(first)[0]?.text ?? '?'}())`
        : first?.type === 'operation'
          ? 'an arithmetic/logical expression'
          : first?.type === 'template_expr' || (first?.type === 'literal_value' && t.includes('${'))
            ? 'a string template'
            : 'an expression';
  return `\`${t}\` is computed by ${what}, not a literal a person wrote; change it by hand`;
}

function attrsNamed(body: HclNode | undefined, name: string): HclNode[] {
  return (body === undefined ? [] : kids(body)).filter((n) => n.type === 'attribute' && kids(n)[0]?.text === name);
}

function exprOf(attr: HclNode): HclNode | undefined {
  return kids(attr)[1];
}

/**
 * Walks `path` inside an expression: object keys, tuple indexes, tuple elements selected by an
 * attribute (`name = "default"`). Ends at a literal or a reference (with the rest of the path).
 */
function walkValue(file: string, expr: HclNode, path: Seg[], vp: Array<string | number>, where: string): Found {
  const ref = refOf(expr);
  if (ref !== undefined)
    return { kind: 'ref', ref: { ...ref, path: [...ref.path, ...path] }, file, at: expr.startIndex };
  const c = classifyExpression(expr);
  const [head, ...rest] = path;
  if (head === undefined) {
    if (c.kind === 'literal')
      return { kind: 'literal', file, start: expr.startIndex, end: expr.endIndex, format: 'hcl', vp };
    if (c.kind === 'object') return refused('NOT_LITERAL', `${where} is an object; name an attribute inside it`);
    return refused('NOT_LITERAL', `${where}: ${describeComputed(expr)}`);
  }
  const coll =
    kids(expr).length === 1 && kids(expr)[0]?.type === 'collection_value'
      ? kids(kids(expr)[0] as HclNode)[0]
      : undefined;
  if (coll?.type === 'object' && typeof head === 'string') {
    const elems = kids(coll).filter((e) => e.type === 'object_elem' && objectElemKey(e) === head);
    if (elems.length > 1) refused('AMBIGUOUS', `${where}.${head} is set ${elems.length} times`);
    const val = elems[0]?.childForFieldName('val');
    if (val === null || val === undefined) return refused('NOT_FOUND', `${where} has no key ${JSON.stringify(head)}`);
    return walkValue(file, val, rest, [...vp, head], `${where}.${head}`);
  }
  if (coll?.type === 'tuple' && typeof head !== 'string') {
    const items = kids(coll).filter((n) => n.type === 'expression');
    let index: number;
    if (typeof head === 'number') index = head;
    else {
      const hits = items.flatMap((item, i) => {
        const w = tryWalk(() => walkValue(file, item, [head.select], [], ''));
        if (w === undefined || w.kind !== 'literal') return [];
        const text = (item.tree.rootNode.text ?? '').slice(w.start, w.end);
        return JSON.stringify(decodeString(text)) === JSON.stringify(head.equals) ? [i] : [];
      });
      if (hits.length > 1)
        refused('AMBIGUOUS', `${where} has ${hits.length} elements with ${head.select} = "${head.equals}"`);
      index = hits[0] ?? -1;
    }
    const item = items[index];
    if (item === undefined)
      return refused(
        'NOT_FOUND',
        typeof head === 'number'
          ? `${where} has no element [${head}]`
          : `${where} has no element with ${head.select} = "${head.equals}"`,
      );
    const label = typeof head === 'number' ? `[${head}]` : `[${head.select}="${head.equals}"]`;
    return walkValue(file, item, rest, [...vp, index], `${where}${label}`);
  }
  if (c.kind === 'literal') return refused('NOT_FOUND', `${where} is \`${expr.text}\`, cannot reach ${showSegs(path)}`);
  return refused('NOT_LITERAL', `${where}: ${describeComputed(expr)}`);
}

function decodeString(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function tryWalk(f: () => Found): Found | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof Refused) return undefined;
    throw e;
  }
}

function showSegs(path: readonly Seg[]): string {
  return path
    .map((p, i) =>
      typeof p === 'number'
        ? `[${p}]`
        : typeof p === 'string'
          ? showPath([p]).startsWith('[')
            ? showPath([p])
            : `${i === 0 ? '' : '.'}${p}`
          : `[${p.select}="${p.equals}"]`,
    )
    .join('');
}

function showRef(r: Ref): string {
  const tail = showSegs(r.path);
  return `${r.root}.${r.name}${tail === '' || tail.startsWith('[') ? tail : `.${tail}`}`;
}

// ---------------------------------------------------------------- the tracer

class Tracer {
  readonly steps: ChainStep[] = [];
  /** Human path of the edited value (the `path` of the stored change). */
  private display = '';
  /** `var.X` / `local.X` crossed, per dir, with the block that read it. */
  private readonly crossed: Array<{ dir: string; ref: 'var' | 'local'; name: string; reader: string; path: Seg[] }> =
    [];

  constructor(
    private readonly cfg: ConfigFiles,
    private readonly opts: TraceOptions,
  ) {}

  private src(file: string): string {
    return this.cfg.files[file] ?? '';
  }

  private step(kind: ChainStep['kind'], where: string, file: string, at: number): void {
    this.steps.push({ kind, where, file, line: lineAt(this.src(file), at) });
  }

  /** The single top-level block (kind, labels) among the dir's .tf files; runs `use` on it. */
  private block<T>(dir: string, kind: string, labels: string[], use: (block: HclNode, file: string) => T): T {
    const hits: string[] = [];
    for (const file of tfIn(this.cfg, dir)) {
      const n = this.cfg.parser.withTree(this.src(file), (root) =>
        root.hasError ? -1 : findBlocks(root, kind, labels).length,
      );
      if (n < 0) refused('PARSE_ERROR', `${file} has an HCL syntax error`);
      for (let i = 0; i < n; i++) hits.push(file);
    }
    const label = `${kind} ${labels.map((l) => `"${l}"`).join(' ')}`;
    if (hits.length === 0) refused('NOT_FOUND', `no ${label} block in ${dir === '' ? 'the deployment' : dir}`);
    if (hits.length > 1) refused('AMBIGUOUS', `${label} is declared ${hits.length} times (${hits.join(', ')})`);
    const file = hits[0] as string;
    return this.cfg.parser.withTree(this.src(file), (root) => use(findBlocks(root, kind, labels)[0] as HclNode, file));
  }

  private forEachOf(block: HclNode, file: string, key: Key | undefined, what: string): ForEach | undefined {
    const fe = attrsNamed(bodyOf(block), 'for_each')[0];
    const expr = fe === undefined ? undefined : exprOf(fe);
    if (expr === undefined) return undefined;
    const base = { file, line: lineAt(this.src(file), expr.startIndex), key };
    const ref = refOf(expr);
    if (ref !== undefined) return { ...base, ref };
    const forObj = kids(kids(expr)[0] ?? expr)[0];
    if (kids(expr)[0]?.type === 'for_expr' && forObj?.type === 'for_object_expr') {
      const [intro, keyExpr, valExpr, ...more] = kids(forObj).filter(
        (n) => n.type !== 'object_start' && n.type !== 'object_end',
      );
      const ids = intro === undefined ? [] : kids(intro).filter((n) => n.type === 'identifier');
      const coll = intro === undefined ? undefined : kids(intro).find((n) => n.type === 'expression');
      const iter = ids[ids.length - 1]?.text;
      const collRef = coll === undefined ? undefined : refOf(coll);
      const keyRef = keyExpr === undefined ? undefined : refOf(keyExpr);
      const valIsIter = valExpr !== undefined && valExpr.text.trim() === iter;
      const keyVar = keyExpr !== undefined && kids(keyExpr)[0]?.text;
      if (
        ids.length === 1 &&
        collRef !== undefined &&
        valIsIter &&
        more.length === 0 &&
        keyVar === iter &&
        keyExpr !== undefined &&
        /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(keyExpr.text.trim())
      ) {
        void keyRef;
        return { ...base, ref: collRef, select: keyExpr.text.trim().split('.')[1] as string };
      }
    }
    return {
      ...base,
      why: `${what}'s for_each \`${expr.text.replace(/\s+/g, ' ')}\` is computed; cannot tell which value feeds one instance`,
    };
  }

  trace(address: string, attributePath: string[]): Target {
    const addr = parseInstanceAddress(address);
    if ('ok' in addr) return refused(addr.code, addr.message);
    let scope: Scope = { dir: '', call: undefined, each: undefined, prefix: '' };
    for (const m of addr.modules) {
      const display = `${scope.prefix}module.${m.name}${showKey(m.key)}`;
      const next = this.block(scope.dir, 'module', [m.name], (block, file): Scope => {
        const srcAttr = attrsNamed(bodyOf(block), 'source')[0];
        const srcExpr = srcAttr === undefined ? undefined : exprOf(srcAttr);
        const source = srcExpr === undefined ? undefined : decodeString(srcExpr.text.trim());
        if (typeof source !== 'string') return refused('NOT_LITERAL', `${display} has no literal source`);
        if (!source.startsWith('./') && !source.startsWith('../'))
          return refused(
            'MODULE_INTERNAL',
            `${display} uses the remote module "${source}": the module's code is not ours to edit`,
          );
        const each = this.forEachOf(block, file, m.key, display);
        const call: Call = { name: m.name, key: m.key, file, caller: scope, display };
        return { dir: joinDir(scope.dir, source), call, each, prefix: `${display}.` };
      });
      if (tfIn(this.cfg, next.dir).length === 0)
        refused('NOT_FOUND', `${display}: the module's files (${next.dir}) are not in the deployment's file set`);
      scope = next;
    }
    const where = `${scope.prefix}${addr.type}.${addr.name}${showKey(addr.key)}`;
    const self = `${addr.type}.${addr.name}`;
    const found = this.block(scope.dir, 'resource', [addr.type, addr.name], (block, file): Found => {
      const each = this.forEachOf(block, file, addr.key, where);
      scope = { ...scope, each };
      return this.walkBlock(block, file, attributePath, ['resource', addr.type, addr.name, 0], where);
    });
    this.step(
      attributePath[0] === 'count' && attributePath.length === 1 ? 'count' : 'attribute',
      `${where}.${showPath(attributePath)}`,
      found.file,
      found.kind === 'ref' ? found.at : found.start,
    );
    if (found.kind === 'literal' && scope.each !== undefined && attributePath[0] !== 'for_each')
      refused(
        'AMBIGUOUS',
        `${self} is one block for every for_each instance; the literal on it is shared by all of them, not only ${where}`,
      );
    this.display = `${scope.prefix}${self}.${attributePath.join('.')}`;
    const lit = found.kind === 'literal' ? found : this.resolve(scope, found.ref, self);
    this.checkShared(lit);
    return this.target(lit);
  }

  private walkBlock(block: HclNode, file: string, path: string[], vp: Array<string | number>, where: string): Found {
    let body = bodyOf(block);
    let segs = path;
    let at = vp;
    let shown = where;
    for (;;) {
      const [head, ...rest] = segs;
      if (head === undefined) return refused('INVALID_REQUEST', 'attributePath is empty');
      const items = body === undefined ? [] : kids(body);
      const attrs = items.filter((n) => n.type === 'attribute' && kids(n)[0]?.text === head);
      const blocks = items.filter((n) => n.type === 'block' && blockLabels(n).kind === head);
      if (
        items.some((n) => n.type === 'block' && blockLabels(n).kind === 'dynamic' && blockLabels(n).labels[0] === head)
      )
        return refused('NOT_LITERAL', `${shown}.${head} is generated by a dynamic block`);
      if (attrs.length + blocks.length > 1)
        return refused('AMBIGUOUS', `${shown}.${head} appears ${attrs.length + blocks.length} times`);
      const attr = attrs[0];
      if (attr !== undefined) {
        const expr = exprOf(attr);
        if (expr === undefined) return refused('PARSE_ERROR', `${shown}.${head} has no value`);
        return walkValue(file, expr, rest, [...at, head], `${shown}.${head}`);
      }
      const nested = blocks[0];
      if (nested === undefined) return refused('NOT_FOUND', `${shown}.${head} is not set`);
      if (rest.length === 0) return refused('NOT_LITERAL', `${shown}.${head} is a block, not a value`);
      body = bodyOf(nested);
      segs = rest;
      at = [...at, head, 0];
      shown = `${shown}.${head}`;
    }
  }

  /** Follows a reference in `scope` to the literal that sets it. */
  private resolve(scope: Scope, ref: Ref, reader: string): Extract<Found, { kind: 'literal' }> {
    for (let hops = 0; hops < 50; hops++) {
      const found = this.resolveOnce(scope, ref, reader);
      if (found.f.kind === 'literal') return found.f;
      scope = found.scope;
      reader = found.reader;
      ref = found.f.ref;
    }
    return refused('NOT_LITERAL', `${showRef(ref)}: references loop`);
  }

  private resolveOnce(scope: Scope, ref: Ref, reader: string): { f: Found; scope: Scope; reader: string } {
    if (ref.root === 'each') {
      const each = scope.each;
      if (ref.name !== 'value' || each === undefined)
        return refused(
          'NOT_LITERAL',
          `\`${showRef(ref)}\` is not a value a person wrote (only each.value.X is followed)`,
        );
      if (each.why !== undefined || each.ref === undefined)
        return refused('NOT_LITERAL', each.why ?? 'for_each is computed');
      if (each.key === undefined)
        return refused('INVALID_REQUEST', `name the for_each instance (e.g. ["default"]) to follow ${showRef(ref)}`);
      this.steps.push({ kind: 'for_each', where: showRef(ref), file: each.file, line: each.line });
      const pick: Seg = each.select !== undefined ? { select: each.select, equals: String(each.key) } : each.key;
      return {
        f: { kind: 'ref', ref: { ...each.ref, path: [pick, ...ref.path] }, file: each.file, at: 0 },
        scope: { ...scope, each: undefined },
        reader,
      };
    }
    if (ref.root === 'local') {
      this.crossed.push({ dir: scope.dir, ref: 'local', name: ref.name, reader, path: ref.path });
      const hits: Array<{ file: string; f: Found }> = [];
      for (const file of tfIn(this.cfg, scope.dir)) {
        this.cfg.parser.withTree(this.src(file), (root) => {
          const blocks = findBlocks(root, 'locals', []);
          blocks.forEach((b, i) => {
            for (const a of attrsNamed(bodyOf(b), ref.name)) {
              const expr = exprOf(a);
              if (expr === undefined) continue;
              this.step('local', showRef(ref), file, a.startIndex);
              this.display = showRef(ref);
              hits.push({ file, f: walkValue(file, expr, ref.path, ['locals', i, ref.name], `local.${ref.name}`) });
            }
          });
        });
      }
      if (hits.length === 0)
        return refused(
          'NOT_FOUND',
          `local.${ref.name} is not defined in ${scope.dir === '' ? 'the deployment' : scope.dir}`,
        );
      if (hits.length > 1) return refused('AMBIGUOUS', `local.${ref.name} is defined ${hits.length} times`);
      return { f: (hits[0] as { f: Found }).f, scope, reader: `local.${ref.name}` };
    }
    // var.NAME
    this.crossed.push({ dir: scope.dir, ref: 'var', name: ref.name, reader, path: ref.path });
    const call = scope.call;
    if (call !== undefined) {
      const arg = this.block(call.caller.dir, 'module', [call.name], (block, file) => {
        const a = attrsNamed(bodyOf(block), ref.name)[0];
        const expr = a === undefined ? undefined : exprOf(a);
        if (a === undefined || expr === undefined) return undefined;
        this.step('module_argument', `${call.display} var.${ref.name}`, file, a.startIndex);
        this.display = `${call.display}.${ref.name}${ref.path.length ? `.${showSegs(ref.path)}` : ''}`;
        return walkValue(file, expr, ref.path, ['module', call.name, 0, ref.name], `${call.display}.${ref.name}`);
      });
      if (arg !== undefined)
        return { f: arg, scope: { ...call.caller, each: this.callEach(call) }, reader: `module.${call.name}` };
      return { f: this.variableDefault(scope.dir, ref), scope, reader };
    }
    return { f: this.rootVariable(ref), scope, reader };
  }

  /** The module call's own for_each context (each.value inside its arguments). */
  private callEach(call: Call): ForEach | undefined {
    return this.block(call.caller.dir, 'module', [call.name], (block, file) =>
      this.forEachOf(block, file, call.key, call.display),
    );
  }

  private variableDefault(dir: string, ref: Ref): Found {
    return this.block(dir, 'variable', [ref.name], (block, file) => {
      const a = attrsNamed(bodyOf(block), 'default')[0];
      const expr = a === undefined ? undefined : exprOf(a);
      if (expr === undefined)
        return refused(
          'NOT_FOUND',
          `variable ${ref.name} has no default and nothing sets it (-var / TF_VAR_ values cannot be edited)`,
        );
      const shown = `variable "${ref.name}" default${ref.path.length ? ` ${showSegs(ref.path)}` : ''}`;
      this.step('variable_default', shown, file, a?.startIndex ?? 0);
      this.display = `variable.${ref.name}.default${ref.path.length ? `.${showSegs(ref.path)}` : ''}`;
      const f = walkValue(file, expr, ref.path, ['variable', ref.name, 0, 'default'], `var.${ref.name}`);
      if (f.kind === 'ref') refused('NOT_LITERAL', `variable ${ref.name}'s default refers to ${showRef(f.ref)}`);
      return f;
    });
  }

  /** Files that can set a root variable, lowest precedence first. */
  private varFiles(): string[] {
    const names = Object.keys(this.cfg.files).filter((f) => !f.includes('/'));
    const auto = names.filter((f) => f.endsWith('.auto.tfvars') || f.endsWith('.auto.tfvars.json')).sort();
    const declared = (this.opts.varFiles ?? []).map((f) => joinDir('', f));
    for (const f of declared)
      if (!(f in this.cfg.files)) refused('NOT_FOUND', `the declared var file ${f} is not in the deployment`);
    const base = ['terraform.tfvars', 'terraform.tfvars.json'].filter((f) => names.includes(f));
    return [...new Set([...base, ...auto, ...declared])];
  }

  private rootVariable(ref: Ref): Found {
    const definers = this.varFiles().filter((file) => this.sets(file, ref.name));
    if (definers.length > 1)
      refused(
        'AMBIGUOUS',
        `variable ${ref.name} is set in ${definers.join(' and ')}; the last one wins in Terraform and editing either leaves the other behind: set it in one place`,
      );
    const file = definers[0];
    if (file === undefined) return this.variableDefault('', ref);
    const src = this.src(file);
    const shown = `${file} ${ref.name}${showSegs(ref.path).startsWith('[') ? '' : ref.path.length ? '.' : ''}${showSegs(ref.path)}`;
    if (file.endsWith('.json')) {
      if (ref.path.some((p) => typeof p !== 'string'))
        refused('NOT_LITERAL', `${file}: selecting list elements in a .tfvars.json file is not supported`);
      const r = locateJsonValue(src, [ref.name, ...(ref.path as string[])]);
      if (!r.ok) return refused(r.code, `${file}: ${r.message}`);
      this.steps.push({ kind: 'tfvars', where: shown, file, line: lineAt(src, r.start) });
      this.display = [ref.name, ...ref.path].join('.');
      return {
        kind: 'literal',
        file,
        start: r.start,
        end: r.end,
        format: 'json',
        vp: [ref.name, ...(ref.path as string[])],
      };
    }
    return this.cfg.parser.withTree(src, (root) => {
      const a = attrsNamed(
        kids(root).find((n) => n.type === 'body'),
        ref.name,
      )[0];
      const expr = a === undefined ? undefined : exprOf(a);
      if (expr === undefined) return refused('NOT_FOUND', `${file} does not set ${ref.name}`);
      const f = walkValue(file, expr, ref.path, [ref.name], ref.name);
      if (f.kind === 'ref') return refused('NOT_LITERAL', `${file}: ${ref.name} refers to ${showRef(f.ref)}`);
      this.steps.push({ kind: 'tfvars', where: shown, file, line: lineAt(src, f.start) });
      this.display = `${ref.name}${ref.path.length ? `.${showSegs(ref.path)}` : ''}`;
      return f;
    });
  }

  private sets(file: string, name: string): boolean {
    const src = this.src(file);
    if (file.endsWith('.json')) {
      const r = locateJsonValue(src, [name]);
      if (!r.ok && r.code !== 'NOT_FOUND') refused(r.code, `${file}: ${r.message}`);
      return r.ok;
    }
    return this.cfg.parser.withTree(src, (root) => {
      if (root.hasError) refused('PARSE_ERROR', `${file} has an HCL syntax error`);
      return (
        attrsNamed(
          kids(root).find((n) => n.type === 'body'),
          name,
        ).length > 0
      );
    });
  }

  /**
   * A variable or local another resource (or module call) reads too: changing it would change
   * them as well. Also a literal inside a module two calls use.
   */
  private checkShared(lit: Extract<Found, { kind: 'literal' }>): void {
    const others = new Set<string>();
    // Root resource blocks: the only sharers `sharedValues: 'allow'` accepts (the gate can see them).
    const resources = new Set<string>();
    for (const c of this.crossed) {
      for (const file of tfIn(this.cfg, c.dir)) {
        this.cfg.parser.withTree(this.src(file), (root) => {
          const body = kids(root).find((n) => n.type === 'body');
          for (const b of body === undefined ? [] : kids(body)) {
            if (b.type !== 'block') continue;
            const { kind, labels } = blockLabels(b);
            const id =
              kind === 'resource'
                ? labels.join('.')
                : kind === 'module'
                  ? `module.${labels[0] ?? ''}`
                  : kind === 'locals'
                    ? 'locals'
                    : undefined;
            if (id === undefined) continue;
            if (kind === 'locals') {
              for (const a of kids(bodyOf(b) ?? b).filter((n) => n.type === 'attribute')) {
                const lid = `local.${kids(a)[0]?.text ?? ''}`;
                if (lid !== c.reader && !this.crossedReader(lid) && reads(a, c)) others.add(lid);
              }
              continue;
            }
            const shown = c.dir === '' ? id : `${c.dir}: ${id}`;
            if (id !== c.reader && !this.crossedReader(id) && reads(b, c)) {
              others.add(shown);
              if (kind === 'resource' && c.dir === '') resources.add(id);
            }
          }
        });
      }
    }
    const dir = dirOf(lit.file);
    if (dir !== '' && !lit.file.endsWith('.tfvars') && !lit.file.endsWith('.json')) {
      const callers: string[] = [];
      for (const file of Object.keys(this.cfg.files)
        .filter((f) => f.endsWith('.tf'))
        .sort()) {
        this.cfg.parser.withTree(this.src(file), (root) => {
          const body = kids(root).find((n) => n.type === 'body');
          for (const b of body === undefined ? [] : kids(body)) {
            if (b.type !== 'block' || blockLabels(b).kind !== 'module') continue;
            const s = attrsNamed(bodyOf(b), 'source')[0];
            const v = s === undefined ? undefined : decodeString(exprOf(s)?.text.trim() ?? '');
            const multi = attrsNamed(bodyOf(b), 'for_each').length + attrsNamed(bodyOf(b), 'count').length > 0;
            if (typeof v === 'string' && joinDir(dirOf(file), v) === dir)
              callers.push(`module.${blockLabels(b).labels[0] ?? ''}${multi ? ' (every instance)' : ''}`);
          }
        });
      }
      if (callers.length > 1 || callers.some((c) => c.endsWith('(every instance)')))
        others.add(`the module ${dir} used by ${callers.join(', ')}`);
    }
    if (others.size > 0 && others.size === resources.size && this.opts.sharedValues === 'allow') {
      this.sharedWith = [...resources].sort();
      return;
    }
    if (others.size > 0)
      refused(
        'AMBIGUOUS',
        `the value is shared: ${[...others].join(', ')} read it too, so changing it would change them as well`,
      );
  }

  private sharedWith: string[] | undefined;

  private crossedReader(id: string): boolean {
    return this.crossed.some((c) => c.reader === id);
  }

  private target(lit: Extract<Found, { kind: 'literal' }>): Target {
    const src = this.src(lit.file);
    return {
      file: lit.file,
      start: lit.start,
      end: lit.end,
      format: lit.format,
      source: this.steps.length > 1 ? 'variable' : 'literal',
      verifyPath: lit.vp,
      display: this.display,
      ...(this.sharedWith !== undefined && { sharedWith: this.sharedWith }),
      chain: this.steps.map((s) =>
        s.file === lit.file && s === this.steps[this.steps.length - 1] ? { ...s, line: lineAt(src, lit.start) } : s,
      ),
    };
  }
}

/** Whether `node` reads the part of `var.NAME` / `local.NAME` the value is at (sharing per field). */
function reads(node: HclNode, c: { ref: 'var' | 'local'; name: string; path: Seg[] }): boolean {
  return mentions(node, c.ref, c.name) && readsValue(readPaths(node, c.ref, c.name), c.path);
}

/** Whether `node` contains `var.NAME` / `local.NAME`. */
function mentions(node: HclNode, root: 'var' | 'local', name: string): boolean {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop() as HclNode;
    if (n.type === 'variable_expr' && n.text === root) {
      const next = n.nextNamedSibling;
      if (next?.type === 'get_attr' && kids(next).find((k) => k.type === 'identifier')?.text === name) return true;
    }
    stack.push(...kids(n));
  }
  return false;
}

export type TraceFail = Fail & { chain: ChainStep[] };

/** Traces `attributePath` of the instance `address` to the one literal that sets it. */
export function traceValue(
  cfg: ConfigFiles,
  address: string,
  attributePath: string[],
  opts: TraceOptions = {},
): Target | TraceFail {
  const t = new Tracer(cfg, opts);
  try {
    return t.trace(address, attributePath);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    const so = t.steps.length > 0 ? ` (chain so far: ${formatSteps(t.steps)})` : '';
    return { ok: false, code: e.code, message: `${e.message}${so}`, chain: t.steps };
  }
}
