/**
 * A strict JSON reader for submitted `*.tf.json` / `*.tfvars.json` files. `JSON.parse` keeps only
 * the last of repeated keys while Terraform's HCL JSON parser keeps all of them (a repeated
 * `"resource"` key once smuggled a provisioner past a guard that read the file with JSON.parse).
 * So this reader refuses, at any depth:
 *
 * - a key that repeats in its object, compared after decoding escapes (`"resource"` and
 *   `"\u0072esource"` are the same key), and keys equal after Unicode NFC normalisation or case
 *   folding (parsers differ on those; nothing legitimate needs both);
 * - anything outside RFC 8259: comments, trailing commas, single quotes, a byte-order mark,
 *   unescaped control characters, lone surrogates (Go decodes them all to U+FFFD, so two
 *   different keys could become one), leading zeros, `NaN`, trailing text.
 *
 * Objects come back with a null prototype, so a `"__proto__"` key is plain data. Pure.
 */

import { refuse, type Result } from '../shared/result.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type StrictJsonResult = Result<{ value: JsonValue }, 'JSON_SYNTAX'>;

const MAX_DEPTH = 128;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonSyntaxError extends Error {}

export function parseStrictJson(text: string): StrictJsonResult {
  const reader = new Reader(text);
  try {
    const value = reader.document();
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return refuse('JSON_SYNTAX', err.message);
    throw err;
  }
}

class Reader {
  private i = 0;

  constructor(private readonly s: string) {}

  document(): JsonValue {
    this.ws();
    const v = this.value('$', 0);
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private value(where: string, depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = this.s[this.i];
    if (c === '{') return this.object(where, depth);
    if (c === '[') return this.array(where, depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  }

  private object(where: string, depth: number): JsonObject {
    const out = Object.create(null) as JsonObject;
    const seen = new Map<string, { key: string; at: number }>();
    this.i++;
    this.ws();
    if (this.eat('}')) return out;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a "quoted" object key');
      const at = this.i;
      const key = this.string();
      this.checkDuplicate(seen, key, at, where);
      this.ws();
      if (!this.eat(':')) this.fail('expected ":" after an object key');
      this.ws();
      out[key] = this.value(`${where}.${key}`, depth + 1);
      this.ws();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail('expected "," or "}" in an object');
      this.ws();
      if (this.s[this.i] === '}') this.fail('trailing comma in an object');
    }
  }

  /** Exact repeats first (the parser differential), then keys equal only after NFC or case folding. */
  private checkDuplicate(seen: Map<string, { key: string; at: number }>, key: string, at: number, where: string): void {
    const folded = key.normalize('NFC').toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined) {
      const how =
        first.key === key
          ? 'repeats (Terraform would read every copy, a JSON.parse reader only the last)'
          : `is the same key as ${show(first.key)} after Unicode normalisation or case folding`;
      this.fail(`key ${show(key)} in ${show(where)} ${how}; first at ${this.position(first.at)}`, at);
    }
    seen.set(folded, { key, at });
  }

  private array(where: string, depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.i++;
    this.ws();
    if (this.eat(']')) return out;
    for (;;) {
      this.ws();
      out.push(this.value(`${where}[${out.length}]`, depth + 1));
      this.ws();
      if (this.eat(']')) return out;
      if (!this.eat(',')) this.fail('expected "," or "]" in an array');
      this.ws();
      if (this.s[this.i] === ']') this.fail('trailing comma in an array');
    }
  }

  private string(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated string');
      const code = c.charCodeAt(0);
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\') {
        out += this.escape();
        continue;
      }
      if (code < 0x20) this.fail(`unescaped control character U+${code.toString(16).padStart(4, '0')} in a string`);
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = this.s.charCodeAt(this.i + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) this.fail('lone surrogate in a string');
        out += c + this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private escape(): string {
    const e = this.s[this.i + 1];
    if (e !== undefined && ESCAPES[e] !== undefined) {
      this.i += 2;
      return ESCAPES[e];
    }
    if (e !== 'u') this.fail(`invalid escape \\${e ?? ''}`);
    const high = this.hex4();
    if (high < 0xd800 || high > 0xdfff) return String.fromCharCode(high);
    // A surrogate escape must be a complete pair: Go's decoder turns a lone one into U+FFFD.
    if (high > 0xdbff || this.s.slice(this.i, this.i + 2) !== '\\u') this.fail('lone surrogate escape in a string');
    const low = this.hex4();
    if (low < 0xdc00 || low > 0xdfff) this.fail('lone surrogate escape in a string');
    return String.fromCharCode(high, low);
  }

  /** Reads `\uXXXX` at the cursor. */
  private hex4(): number {
    const digits = this.s.slice(this.i + 2, this.i + 6);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) this.fail('invalid \\u escape');
    this.i += 6;
    return parseInt(digits, 16);
  }

  private number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (m === null) return this.fail('invalid number');
    this.i += m[0].length;
    const next = this.s[this.i];
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next)) this.fail('invalid number');
    return Number(m[0]);
  }

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return;
      this.i++;
    }
  }

  private eat(c: string): boolean {
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  private position(at = this.i): string {
    const before = this.s.slice(0, at);
    const line = before.split('\n').length;
    return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
  }

  private fail(message: string, at = this.i): never {
    throw new JsonSyntaxError(`${this.position(at)}: ${message}`);
  }
}

/** A key or path for a message: quoted, and short even when the input is not. */
function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
