/**
 * Rendering values as HCL literals and recognising literal expressions in the tree-sitter CST.
 * A rendered string is always a quoted, escaped HCL string, so a value such as
 * `"} resource "x" {` can never become syntax (tested).
 */
import { kids, type HclNode } from './parser.js';

export type HclValue = number | string | boolean;

/** What a value expression is, as far as editing is concerned. */
export type ExprKind =
  | { kind: 'literal'; valueType: 'number' | 'string' | 'bool' }
  | { kind: 'variable'; name: string }
  | { kind: 'object'; object: HclNode }
  | { kind: 'other'; why: string };

/** Renders a value as HCL source; undefined when it cannot be written safely. */
export function renderHcl(value: HclValue): string | undefined {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return renderNumber(value);
  return `"${escapeHclString(value)}"`;
}

function renderNumber(n: number): string | undefined {
  // Exponent forms (1e21) and NaN/Infinity are not worth the risk of a mis-rendered value.
  if (!Number.isFinite(n)) return undefined;
  const text = String(n);
  return /^-?\d+(\.\d+)?$/.test(text) ? text : undefined;
}

/** HCL quoted-string escaping; `${` and `%{` are doubled so they stay literal text. */
export function escapeHclString(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  // Function replacements: in a replacement *string* `$$` would collapse to a single `$`.
  return out.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Renders a value as JSON (for *.tfvars.json). */
export function renderJson(value: HclValue): string | undefined {
  if (typeof value === 'number' && renderNumber(value) === undefined) return undefined;
  return JSON.stringify(value);
}

function literalKind(lit: HclNode): ExprKind {
  const inner = kids(lit)[0];
  if (inner?.type === 'numeric_lit') return { kind: 'literal', valueType: 'number' };
  if (inner?.type === 'bool_lit') return { kind: 'literal', valueType: 'bool' };
  if (inner?.type === 'string_lit') return { kind: 'literal', valueType: 'string' };
  return { kind: 'other', why: `a ${inner?.type ?? 'empty'} literal` };
}

/** `var.NAME` exactly: a variable_expr `var` followed by one get_attr and nothing else. */
function variableName(parts: HclNode[]): string | undefined {
  const [head, attr, ...rest] = parts;
  if (head?.type !== 'variable_expr' || head.text !== 'var' || attr?.type !== 'get_attr' || rest.length > 0) {
    return undefined;
  }
  return kids(attr).find((n) => n.type === 'identifier')?.text;
}

/** Classifies an `expression` node. Anything not listed is refused by the editor. */
export function classifyExpression(expr: HclNode): ExprKind {
  const parts = kids(expr).filter((n) => n.type !== 'comment');
  const first = parts[0];
  if (parts.length === 1 && first?.type === 'literal_value') return literalKind(first);
  if (parts.length === 1 && first?.type === 'operation') {
    // `-2` parses as a unary operation on a numeric literal; it is still a literal number.
    const unary = kids(first)[0];
    const operand = unary?.type === 'unary_operation' ? kids(unary)[0] : undefined;
    if (
      unary?.text.startsWith('-') === true &&
      operand?.type === 'literal_value' &&
      kids(operand)[0]?.type === 'numeric_lit'
    ) {
      return { kind: 'literal', valueType: 'number' };
    }
  }
  if (parts.length === 1 && first?.type === 'collection_value') {
    const object = kids(first)[0];
    if (object?.type === 'object') return { kind: 'object', object };
  }
  const name = variableName(parts);
  if (name !== undefined) return { kind: 'variable', name };
  return { kind: 'other', why: `the expression \`${expr.text}\` is computed, not a literal` };
}

/** The key of an `object_elem`: a bare identifier or a plain quoted string; else undefined. */
export function objectElemKey(elem: HclNode): string | undefined {
  const keyExpr = elem.childForFieldName('key');
  if (keyExpr === null) return undefined;
  const parts = kids(keyExpr);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.type === 'variable_expr' && kids(only).length === 1) return only.text;
  if (only?.type === 'literal_value') {
    const str = kids(only)[0];
    if (str?.type === 'string_lit' && kids(str).every((n) => n.type !== 'template_interpolation')) {
      return JSON.parse(str.text) as string;
    }
  }
  return undefined;
}

export function valueTypeOf(v: HclValue): 'number' | 'string' | 'bool' {
  return typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'string';
}
