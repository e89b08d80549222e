/**
 * Expression rules on the tree-sitter CST, for native HCL and for the strings of JSON files
 * (which Terraform reads as templates):
 *
 * - every `function_call` node anywhere below the expression, however the name and its `(` are
 *   separated (whitespace, comments, newlines), including calls inside `"${…}"` and heredoc
 *   interpolations and `%{…}` directives, must name an allowed function;
 * - `path` may only be followed by `.module` or `.root` (`path.cwd` names the host directory);
 * - in tfvars files nothing but literal values: no calls, references, interpolations, operators.
 *
 * Pure apart from the parser, which the caller owns.
 */
import { kids, type HclNode, type HclParser } from '../hcl/parser.js';
import { TYPE_CONSTRUCTORS, type InfraAllowList } from './allow-list.js';

/** One refused construct. `key` identifies it without its position (to compare before/after a fix). */
export interface Finding {
  file: string;
  line: number | null;
  message: string;
  key: string;
}

export interface ExprContext {
  file: string;
  allow: InfraAllowList;
  /** Inside a variable's `type`: type constructors are allowed there. */
  typeExpression?: boolean;
  /** A tfvars file: literal values only. */
  literalOnly?: boolean;
  /** Added to line numbers (a JSON string's template is parsed on its own). */
  lineBase?: number | null;
}

const SNIPPET = 80;

function snippet(node: HclNode): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET - 3)}...` : text;
}

function lineOf(node: HclNode, ctx: ExprContext): number | null {
  if (ctx.lineBase === null) return null;
  return node.startPosition.row + 1 + (ctx.lineBase ?? 0);
}

function finding(node: HclNode, ctx: ExprContext, message: string, what: string): Finding {
  const line = lineOf(node, ctx);
  return {
    file: ctx.file,
    line,
    message: `${ctx.file}${line === null ? '' : `:${line}`}: ${message}`,
    key: `${ctx.file}|${what}`,
  };
}

/** The first syntax error (ERROR or MISSING node) below `node`, if any. */
export function firstSyntaxError(node: HclNode): HclNode | undefined {
  if (!node.hasError) return undefined;
  if (node.isError || node.isMissing) return node;
  for (const child of node.children) {
    if (child === null) continue;
    const bad = firstSyntaxError(child);
    if (bad) return bad;
  }
  return node;
}

/** Every finding in the expression below `node`. */
export function checkExpression(node: HclNode, ctx: ExprContext): Finding[] {
  if (ctx.literalOnly) return checkLiteral(node, ctx);
  const out: Finding[] = [];
  walk(node, (n) => {
    if (n.type === 'function_call') out.push(...checkCall(n, ctx));
    else if (n.type === 'variable_expr' && n.text === 'path') out.push(...checkPath(n, ctx));
  });
  return out;
}

function checkCall(n: HclNode, ctx: ExprContext): Finding[] {
  const name = kids(n).find((k) => k.type === 'identifier')?.text ?? '';
  const allowed =
    ctx.allow.functions.includes(name) || (ctx.typeExpression === true && TYPE_CONSTRUCTORS.includes(name));
  if (allowed) return [];
  const why = name.includes('::')
    ? 'provider-defined functions run provider code and are not allowed'
    : /^(file|templatefile|abspath|dirname|basename|pathexpand)/.test(name)
      ? 'filesystem functions would read files on the InfraAI host'
      : 'only pure functions from the allow-list may be called';
  return [finding(n, ctx, `function "${name}" is not allowed: ${why} (in ${snippet(n)})`, `call ${snippet(n)}`)];
}

/** `path.module` and `path.root` are relative strings; anything else on `path` is refused. */
function checkPath(n: HclNode, ctx: ExprContext): Finding[] {
  const next = n.nextNamedSibling;
  const attr = next?.type === 'get_attr' ? kids(next).find((k) => k.type === 'identifier')?.text : undefined;
  if (attr === 'module' || attr === 'root') return [];
  return [
    finding(
      n,
      ctx,
      `"path${attr === undefined ? '' : `.${attr}`}" is not allowed (only path.module and path.root; path.cwd names a directory on the InfraAI host)`,
      `path ${attr ?? ''}`,
    ),
  ];
}

// Node types a literal value consists of (the grammar's own names).
const LITERAL_NODES = new Set([
  'expression',
  'literal_value',
  'numeric_lit',
  'bool_lit',
  'null_lit',
  'string_lit',
  'quoted_template_start',
  'quoted_template_end',
  'template_literal',
  'template_expr',
  'heredoc_template',
  'heredoc_start',
  'heredoc_identifier',
  'collection_value',
  'tuple',
  'tuple_start',
  'tuple_end',
  'object',
  'object_start',
  'object_end',
  'object_elem',
  'comment',
  'operation',
  'unary_operation',
]);

/** tfvars: literal values only (an object key may be a bare name; `-` may negate a number). */
function checkLiteral(node: HclNode, ctx: ExprContext): Finding[] {
  const out: Finding[] = [];
  const visit = (n: HclNode): void => {
    if (n.type === 'expression' && isKeyExpression(n)) return;
    const reference = n.type === 'expression' && kids(n).some((k) => k.type === 'variable_expr');
    const notMinus = n.type === 'unary_operation' && !n.text.trimStart().startsWith('-');
    if (reference || notMinus || !LITERAL_NODES.has(n.type)) {
      out.push(
        finding(
          n,
          ctx,
          `only literal values are allowed in a tfvars file, not ${describe(n, reference)} (in ${snippet(n)})`,
          `literal ${snippet(n)}`,
        ),
      );
      return;
    }
    for (const child of kids(n)) visit(child);
  };
  visit(node);
  return out;
}

/** The `key` expression of an object element written as a bare name (`{ name = 1 }`). */
function isKeyExpression(n: HclNode | null): boolean {
  const elem = n?.parent;
  return (
    n !== null &&
    n !== undefined &&
    elem?.type === 'object_elem' &&
    elem.childForFieldName('key')?.id === n.id &&
    kids(n).length === 1 &&
    kids(n)[0]?.type === 'variable_expr'
  );
}

function describe(n: HclNode, reference: boolean): string {
  if (reference || n.type === 'variable_expr') return 'a reference';
  if (n.type === 'function_call') return 'a function call';
  if (n.type === 'template_interpolation' || n.type === 'template_directive') return 'a template interpolation';
  return `an expression (${n.type})`;
}

/** Visits `node` and every named descendant. */
function walk(node: HclNode, visit: (n: HclNode) => void): void {
  visit(node);
  for (const child of kids(node)) walk(child, visit);
}

/**
 * A JSON string as Terraform reads it: a template (`${…}` interpolations, `%{…}` directives,
 * `$${` escapes, no backslash escapes). Parsed as the body of a heredoc, which has exactly those
 * rules, with a marker that cannot occur in the text.
 */
export function checkTemplateString(parser: HclParser, text: string, ctx: ExprContext): Finding[] {
  if (!text.includes('${') && !text.includes('%{')) return [];
  const shown = text.length > SNIPPET ? `${text.slice(0, SNIPPET - 3)}...` : text;
  if (ctx.literalOnly) {
    return [
      {
        file: ctx.file,
        line: null,
        message: `${ctx.file}: only literal values are allowed in a tfvars file, not the template ${JSON.stringify(shown)}`,
        key: `${ctx.file}|template ${shown}`,
      },
    ];
  }
  let marker = 'INFRAAI_TEMPLATE';
  while (text.includes(marker)) marker += '_X';
  return parser.withTree(`t = <<${marker}\n${text}\n${marker}\n`, (root) => {
    if (firstSyntaxError(root)) {
      return [
        {
          file: ctx.file,
          line: null,
          message: `${ctx.file}: the string ${JSON.stringify(shown)} is not a valid Terraform template`,
          key: `${ctx.file}|bad template ${shown}`,
        },
      ];
    }
    return checkExpression(root, { ...ctx, lineBase: null });
  });
}
