import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../src/infra/strict-json.js';

const refused = (text: string): string => {
  const r = parseStrictJson(text);
  if (r.ok) throw new Error(`accepted: ${text}`);
  return r.message;
};

describe('strict JSON reader for *.tf.json / *.tfvars.json', () => {
  it.each([
    '{}',
    '[]',
    '{"a":1}',
    '{"resource":{"terraform_data":{"a":{"input":"x"}}}}',
    ' \t\r\n{ "a" : [ 1 , -2.5e+3 , true , false , null ] } \n',
    '"just a string"',
    '0',
    '-0',
    '1E5',
    '{"a":"\\u00e9\\n\\t\\"\\\\\\/\\b\\f\\r"}',
    '{"emoji":"\\ud83d\\ude00 😀"}',
    '{"":1,"a":{"":2}}',
    '[[[[[[[[[[1]]]]]]]]]]',
    '{"a":[{"k":1},{"k":2}]}',
    '{"k":"line\\u2028sep"}',
  ])('reads %s exactly like JSON.parse', (text) => {
    const r = parseStrictJson(text);
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    if (r.ok) expect(JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)));
  });

  const duplicates: Array<[string, string]> = [
    [
      'top-level "resource" twice (the exploit)',
      '{"resource":{"terraform_data":{"evil":{"provisioner":{"local-exec":{"command":"id"}}}}},"resource":{"terraform_data":{"good":{}}}}',
    ],
    [
      '"provisioner" twice inside a resource',
      '{"resource":{"terraform_data":{"a":{"provisioner":{},"input":"x","provisioner":{"local-exec":{}}}}}}',
    ],
    ['"resource" and its \\u escape', '{"resource":{},"\\u0072esource":{}}'],
    ['two fully escaped spellings', '{"\\u0072\\u0065source":{},"re\\u0073ource":{}}'],
    ['escaped solidus', '{"a/b":1,"a\\/b":2}'],
    ['whitespace around the colon', '{"resource" :{},\n  "resource"\t:\r\n{}}'],
    ['duplicate three levels down', '{"resource":{"terraform_data":{"a":{"input":{"k":1,"k":2}}}}}'],
    [
      'duplicate inside an array element',
      '{"resource":[{"terraform_data":{"a":{}}},{"terraform_data":{"b":{},"b":{}}}]}',
    ],
    ['duplicate 60 levels deep', `${'{"x":'.repeat(60)}{"d":1,"d":2}${'}'.repeat(60)}`],
    ['duplicate empty key', '{"":1,"":2}'],
    ['keys differing only in case', '{"Resource":{},"resource":{}}'],
    ['keys equal after NFC normalisation', '{"caf\\u00e9":1,"cafe\\u0301":2}'],
    ['tfvars value set twice', '{"replicas":2,"image":"x","replicas":9}'],
    ['"__proto__" twice', '{"__proto__":{},"__proto__":{"polluted":true}}'],
  ];
  it.each(duplicates)('refuses %s, naming the key and both places', (_name, text) => {
    expect(refused(text)).toMatch(
      /^line \d+, column \d+: key ".*" in ".*" (repeats|is the same key as).*first at line \d+, column \d+$/,
    );
  });

  it('names where the duplicate is', () => {
    expect(refused('{\n  "resource": {},\n  "output": {},\n  "resource": {}\n}')).toBe(
      'line 4, column 3: key "resource" in "$" repeats (Terraform would read every copy, a JSON.parse reader only the last); first at line 2, column 3',
    );
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['a line comment', '{"a":1 // c\n}', /expected "," or "}"/],
    ['a block comment', '{/* c */"a":1}', /quoted/],
    ['a trailing comma in an object', '{"a":1,}', /trailing comma/],
    ['a trailing comma in an array', '[1,2,]', /trailing comma/],
    ['single quotes', "{'a':1}", /quoted/],
    ['a byte-order mark', '\ufeff{"a":1}', /unexpected character/],
    ['a raw newline in a string', '{"a":"x\ny"}', /control character U\+000a/],
    ['a raw NUL in a string', '{"a":"x\u0000"}', /control character U\+0000/],
    ['a lone high surrogate escape', '{"a":"\\ud800"}', /lone surrogate/],
    ['a lone low surrogate escape', '{"a":"\\udc00"}', /lone surrogate/],
    ['a reversed surrogate pair', '{"a":"\\ude00\\ud83d"}', /lone surrogate/],
    ['two keys Go would both decode to U+FFFD', '{"\\ud800":1,"\\udbff":2}', /lone surrogate/],
    ['a raw lone surrogate', '{"a":"\ud800"}', /lone surrogate/],
    ['an unknown escape', '{"a":"\\x41"}', /invalid escape/],
    ['a short \\u escape', '{"a":"\\u12"}', /invalid \\u escape/],
    ['a leading zero', '{"a":01}', /invalid number/],
    ['a leading plus', '{"a":+1}', /unexpected character/],
    ['a bare fraction', '{"a":.5}', /unexpected character/],
    ['a trailing dot', '{"a":1.}', /invalid number/],
    ['hex', '{"a":0x10}', /invalid number/],
    ['NaN', '{"a":NaN}', /unexpected character/],
    ['Infinity', '{"a":Infinity}', /unexpected character/],
    ['text after the value', '{"a":1} {"b":2}', /after the JSON value/],
    ['an unterminated string', '{"a":"x', /unterminated/],
    ['an unterminated object', '{"a":1', /expected "," or "}"/],
    ['nesting deeper than 128', `${'['.repeat(200)}${']'.repeat(200)}`, /deeper than 128/],
    ['a bare word', '{"a":tru}', /unexpected character/],
    ['empty input', '', /end of input/],
  ];
  it.each(malformed)('refuses %s', (_name, text, why) => {
    expect(refused(text)).toMatch(why);
  });

  it('keeps "__proto__" as plain data: no prototype is changed', () => {
    const r = parseStrictJson('{"__proto__":{"polluted":true},"a":{"constructor":{"prototype":{"x":1}}}}');
    if (!r.ok) throw new Error(r.message);
    const doc = r.value as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(doc)).toBeNull();
  });

  it('reads a 400 KiB document with thousands of keys', () => {
    const big = JSON.stringify({
      locals: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, `value ${i}`])),
    });
    expect(big.length).toBeGreaterThan(300_000);
    const r = parseStrictJson(big);
    expect(r.ok).toBe(true);
    expect(refused(big.replace('"k19999"', '"k7"'))).toMatch(/key "k7" in "\$\.locals" repeats/);
  });
});
