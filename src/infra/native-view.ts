/**
 * Reads a native-syntax `.tf` / `.tfvars` file with tree-sitter and applies the block allow-list:
 * which top-level blocks, which labels, what may appear inside each, and the expression rules of
 * expression-check.ts on every attribute. Any ERROR or MISSING node refuses the whole file: a
 * file tree-sitter cannot read completely could hide what Terraform reads.
 */
import { kids, type HclNode, type HclParser } from '../hcl/parser.js';
import { refuseType, TOP_LEVEL_BLOCKS, type InfraAllowList } from './allow-list.js';
import { checkExpression, firstSyntaxError, type ExprContext } from './expression-check.js';
import {
  clip,
  emptyView,
  moduleSourceProblem,
  PLAIN_NAME,
  plainFinding,
  providerArgumentProblem,
  requiredProviderProblem,
  RESOURCE_META,
  type FileView,
} from './file-view.js';

interface Block {
  node: HclNode;
  type: string;
  labels: string[];
  attributes: Array<{ name: string; expr: HclNode; node: HclNode }>;
  blocks: Block[];
}

function lineOf(n: HclNode): number {
  return n.startPosition.row + 1;
}

/** A label's text: a plain quoted string or a bare identifier; anything needing escapes comes back as-is (and fails PLAIN_NAME). */
function labelText(n: HclNode): string {
  if (n.type === 'identifier') return n.text;
  const inner = n.text.slice(1, -1);
  return inner;
}

function readBody(body: HclNode | undefined): Pick<Block, 'attributes' | 'blocks'> {
  const attributes: Block['attributes'] = [];
  const blocks: Block[] = [];
  for (const child of body === undefined ? [] : kids(body)) {
    if (child.type === 'attribute') {
      const [name, expr] = kids(child).filter((k) => k.type !== 'comment');
      if (name !== undefined && expr !== undefined) attributes.push({ name: name.text, expr, node: child });
    } else if (child.type === 'block') {
      blocks.push(readBlock(child));
    }
  }
  return { attributes, blocks };
}

function readBlock(node: HclNode): Block {
  const parts = kids(node).filter((k) => k.type !== 'comment');
  const type = parts[0]?.text ?? '';
  const labels = parts
    .slice(1)
    .filter((k) => k.type === 'string_lit' || k.type === 'identifier')
    .map(labelText);
  return { node, type, labels, ...readBody(parts.find((k) => k.type === 'body')) };
}

class NativeReader {
  readonly view: FileView = emptyView();

  constructor(
    private readonly file: string,
    private readonly allow: InfraAllowList,
  ) {}

  private refuse(n: HclNode, message: string, what = message): void {
    this.view.findings.push(plainFinding(this.file, lineOf(n), message, what));
  }

  private ctx(extra: Partial<ExprContext> = {}): ExprContext {
    return { file: this.file, allow: this.allow, ...extra };
  }

  private expressions(b: Pick<Block, 'attributes'>, extra: Partial<ExprContext> = {}): void {
    for (const a of b.attributes) this.view.findings.push(...checkExpression(a.expr, this.ctx(extra)));
  }

  /** Exactly `n` plain labels; returns them, or undefined after recording why not. */
  private labels(b: Block, n: number): string[] | undefined {
    if (b.labels.length !== n || !b.labels.every((l) => PLAIN_NAME.test(l))) {
      this.refuse(
        b.node,
        `${b.type} block needs exactly ${n} plain label(s) (letters, digits, "_", "-"), got ${b.labels.map((l) => `"${l}"`).join(' ') || 'none'}`,
      );
      return undefined;
    }
    return b.labels;
  }

  private noBlocks(b: Block, except: readonly string[] = []): void {
    for (const inner of b.blocks) {
      if (!except.includes(inner.type))
        this.refuse(inner.node, `a "${inner.type}" block is not allowed inside ${b.type}`);
      else this.expressions(inner);
    }
  }

  topLevel(root: HclNode): void {
    const body = kids(root).find((k) => k.type === 'body');
    const { attributes, blocks } = readBody(body);
    for (const a of attributes) this.refuse(a.node, `top-level argument "${a.name}" is not allowed (only blocks)`);
    for (const b of blocks) this.block(b);
  }

  private block(b: Block): void {
    if (!TOP_LEVEL_BLOCKS.includes(b.type)) {
      this.refuse(b.node, `block type "${b.type}" is not allowed (allowed: ${TOP_LEVEL_BLOCKS.join(', ')})`);
      return;
    }
    const handlers: Record<string, (b: Block) => void> = {
      resource: (x) => this.resource(x, 'managed'),
      data: (x) => this.resource(x, 'data'),
      variable: (x) => this.variable(x),
      output: (x) => this.named(x, ['precondition']),
      locals: (x) => this.locals(x),
      module: (x) => this.module(x),
      terraform: (x) => this.terraform(x),
      provider: (x) => this.provider(x),
    };
    handlers[b.type]?.(b);
  }

  private resource(b: Block, mode: 'managed' | 'data'): void {
    const labels = this.labels(b, 2);
    if (labels === undefined) return;
    const [type, name] = labels as [string, string];
    const refused = refuseType(this.allow, mode, type);
    if (refused) this.refuse(b.node, refused);
    (mode === 'managed' ? this.view.resources : this.view.data).push(
      mode === 'managed' ? `${type}.${name}` : `data.${type}.${name}`,
    );
    this.resourceBody(b);
  }

  /** Every depth: no provisioner or connection block, not even through `dynamic`. */
  private resourceBody(b: Block): void {
    this.expressions(b);
    for (const inner of b.blocks) {
      const dynamicOf = inner.type === 'dynamic' ? inner.labels[0] : undefined;
      if (RESOURCE_META.includes(inner.type) || (dynamicOf !== undefined && RESOURCE_META.includes(dynamicOf))) {
        // The key carries the block's text: a second, different provisioner is a new refusal.
        const what = `meta ${dynamicOf ?? inner.type} ${clip(inner.node.text.replace(/\s+/g, ' '), 160)}`;
        this.refuse(
          inner.node,
          `${dynamicOf ?? inner.type} blocks are not allowed: they run commands on the InfraAI host or connect from it`,
          what,
        );
        continue;
      }
      this.resourceBody(inner);
    }
  }

  private variable(b: Block): void {
    const labels = this.labels(b, 1);
    if (labels === undefined) return;
    this.view.variables.push(labels[0] as string);
    for (const a of b.attributes)
      this.view.findings.push(...checkExpression(a.expr, this.ctx({ typeExpression: a.name === 'type' })));
    this.noBlocks(b, ['validation']);
  }

  private named(b: Block, blocks: readonly string[]): void {
    if (this.labels(b, 1) === undefined) return;
    this.expressions(b);
    this.noBlocks(b, blocks);
  }

  private locals(b: Block): void {
    if (b.labels.length > 0) this.refuse(b.node, 'locals takes no labels');
    this.expressions(b);
    this.noBlocks(b);
  }

  private module(b: Block): void {
    const labels = this.labels(b, 1);
    if (labels === undefined) return;
    const source = b.attributes.find((a) => a.name === 'source');
    const literal =
      source === undefined
        ? undefined
        : kids(source.expr).find((k) => k.type === 'literal_value' && k.firstNamedChild?.type === 'string_lit');
    if (source === undefined || literal === undefined)
      this.refuse(b.node, `module "${labels[0]}" needs a literal string source`);
    else {
      const text = literal.text.slice(1, -1);
      const problem = moduleSourceProblem(text);
      if (problem) this.refuse(source.node, problem);
      else this.view.moduleCalls.push({ name: labels[0] as string, source: text });
    }
    const version = b.attributes.find((a) => a.name === 'version');
    if (version) this.refuse(version.node, 'module "version" is only for registry modules, which are not allowed');
    this.expressions(b);
    this.noBlocks(b);
  }

  private terraform(b: Block): void {
    for (const a of b.attributes) {
      if (a.name === 'required_version') this.view.findings.push(...checkExpression(a.expr, this.ctx()));
      else this.refuse(a.node, `terraform { ${a.name} } is not allowed (only required_providers and required_version)`);
    }
    for (const inner of b.blocks) {
      if (inner.type !== 'required_providers') {
        this.refuse(
          inner.node,
          `terraform { ${inner.type} } is not allowed (only required_providers and required_version; no backend, no cloud)`,
        );
        continue;
      }
      for (const p of inner.attributes) {
        const problem = requiredProviderProblem(this.allow, p.name, sourceIn(p.expr));
        if (problem) this.refuse(p.node, problem);
        this.view.providers.push(p.name);
        this.view.findings.push(...checkExpression(p.expr, this.ctx()));
      }
      if (inner.blocks.length > 0) this.noBlocks(inner);
    }
  }

  private provider(b: Block): void {
    const labels = this.labels(b, 1);
    if (labels === undefined) return;
    const name = labels[0] as string;
    this.view.providers.push(name);
    for (const item of [
      ...b.attributes.map((a) => ({ name: a.name, node: a.node })),
      ...b.blocks.map((x) => ({ name: x.type, node: x.node })),
    ]) {
      const problem = providerArgumentProblem(this.allow, name, item.name);
      if (problem) this.refuse(item.node, problem);
    }
    this.expressions(b);
    for (const inner of b.blocks) this.resourceBody(inner);
  }

  tfvars(root: HclNode): void {
    const { attributes, blocks } = readBody(kids(root).find((k) => k.type === 'body'));
    for (const b of blocks) this.refuse(b.node, `blocks are not allowed in a tfvars file ("${b.type}")`);
    for (const a of attributes) {
      this.view.assigned.push(a.name);
      this.view.findings.push(...checkExpression(a.expr, this.ctx({ literalOnly: true })));
    }
    if (kids(root).some((k) => k.type === 'object'))
      this.refuse(root, 'a tfvars file must assign names (name = value)');
  }
}

/** `source = "…"` inside a required_providers object, when it is a plain string. */
function sourceIn(expr: HclNode): string | undefined {
  const object = expr
    .descendantsOfType('object_elem')
    .find((e) => e?.childForFieldName('key')?.text.replace(/"/g, '') === 'source');
  const value = object?.childForFieldName('val');
  const lit = value?.firstNamedChild;
  return lit?.type === 'literal_value' ? lit.text.slice(1, -1) : undefined;
}

/** Reads one native file; `kind` says whether it is configuration or a tfvars file. */
export function readNativeFile(
  parser: HclParser,
  file: string,
  text: string,
  allow: InfraAllowList,
  kind: 'config' | 'tfvars',
): FileView {
  return parser.withTree(text, (root) => {
    const reader = new NativeReader(file, allow);
    const bad = firstSyntaxError(root);
    if (bad) {
      const what = bad.isMissing ? `missing ${bad.type}` : 'syntax error';
      reader.view.findings.push(
        plainFinding(file, lineOf(bad), `invalid HCL (${what} at column ${bad.startPosition.column + 1})`, 'syntax'),
      );
      return reader.view;
    }
    if (kind === 'tfvars') reader.tfvars(root);
    else reader.topLevel(root);
    return reader.view;
  });
}
