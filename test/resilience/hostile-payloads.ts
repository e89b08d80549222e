/**
 * Deterministic generator of malformed and hostile POST /ops/webhook requests (seeded PRNG, no
 * dependencies). Every case says which status it must get: 413 for bodies over the limit, 415
 * for content types other than JSON, 400 for everything else. `controls` are the near-miss valid
 * bodies (just under each limit, odd but legal unicode) that must be accepted, so the refusals
 * cannot pass by refusing everything.
 */
import { readFileSync } from 'node:fs';

export interface HostileCase {
  cls: string;
  name: string;
  /** Raw request body (sent byte-exact); undefined sends none. */
  body: string | undefined;
  /** Content-Type header; null sends none. */
  contentType: string | null;
  status: 400 | 413 | 415;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function baseAm(): { [k: string]: Json } {
  const raw = readFileSync(new URL('../fixtures/alertmanager/group-firing.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { body: { [k: string]: Json } }).body;
}

export function baseSimple(): { [k: string]: Json } {
  return {
    resource_id: 'api_pool',
    metric: 'cpu',
    value: 0.97,
    threshold: 0.9,
    alertname: 'CPUHigh',
    severity: 'critical',
    status: 'firing',
    labels: { team: 'ops' },
    annotations: { summary: 's' },
  };
}

const clone = <T extends Json>(v: T): T => structuredClone(v);

function kindOf(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

const WRONG: Json[] = [
  null,
  0,
  -1,
  1.5,
  true,
  false,
  '',
  'x',
  [],
  {},
  [1, 2],
  { a: 1 },
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
];

/** Every leaf and object path of a JSON value (arrays: first element only). */
function paths(v: Json, at: Path = []): Path[] {
  const out: Path[] = at.length > 0 ? [at] : [];
  if (Array.isArray(v)) {
    if (v.length > 0) out.push(...paths(v[0] as Json, [...at, 0]));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) out.push(...paths(child, [...at, k]));
  }
  return out;
}

function setAt(root: Json, path: Path, value: Json | undefined): boolean {
  let cur: Json = root;
  for (const key of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<string, Json>)[key as string] as Json;
  }
  if (cur === null || typeof cur !== 'object') return false;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete (cur as Record<string, Json>)[last];
  else (cur as Record<string, Json>)[last] = value;
  return true;
}

function getAt(root: Json, path: Path): Json | undefined {
  let cur: Json | undefined = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[key as string];
  }
  return cur;
}

const json = (cls: string, name: string, body: Json, status: 400 | 413 | 415 = 400): HostileCase => ({
  cls,
  name,
  body: JSON.stringify(body),
  contentType: 'application/json',
  status,
});

/** Replacing a field with a value of another JSON type never yields a valid body. */
function wrongTypes(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const [form, base] of [
    ['am', baseAm()],
    ['simple', baseSimple()],
  ] as const) {
    for (const p of paths(base)) {
      const original = getAt(base, p) as Json;
      for (const w of WRONG.filter((x) => kindOf(x) !== kindOf(original))) {
        const b = clone(base);
        setAt(b, p, w);
        out.push(json('wrong type', `${form} ${p.join('.')} = ${JSON.stringify(w)}`, b));
      }
    }
  }
  return out;
}

function missingFields(): HostileCase[] {
  const am = ['version', 'status', 'alerts', 'groupKey'].map((k) => [k]);
  const alert = ['status', 'labels', 'startsAt', 'fingerprint'].map((k) => ['alerts', 0, k]);
  const out = [...am, ...alert, ['alerts', 0, 'labels', 'alertname']].map((p) => {
    const b = baseAm();
    setAt(b, p, undefined);
    return json('missing field', `am without ${p.join('.')}`, b);
  });
  for (const k of ['resource_id', 'metric', 'value', 'threshold']) {
    const b = baseSimple();
    delete b[k];
    out.push(json('missing field', `simple without ${k}`, b));
  }
  out.push(json('missing field', 'am with empty alerts', { ...baseAm(), alerts: [] }));
  out.push(json('missing field', 'empty object', {}));
  return out;
}

const many = (n: number, f: (i: number) => [string, string]) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => f(i)));
const withAlert = (patch: (a: { [k: string]: Json }) => void) => {
  const b = baseAm();
  patch((b.alerts as Array<{ [k: string]: Json }>)[0]!);
  return b;
};
const compactAlert = (i: number) => ({
  status: 'firing',
  labels: { alertname: 'A' },
  startsAt: '2026-11-23T09:00:00Z',
  fingerprint: `f${i}`,
});

/** Just over each bound (over → 400), and the matching just-under body for the controls. */
function sizes(over: boolean): Array<[string, Json]> {
  const d = over ? 1 : 0;
  return [
    [
      'labels per alert',
      withAlert((a) => {
        a.labels = { alertname: 'A', ...many(63 + d, (i) => [`l${i}`, 'v']) };
      }),
    ],
    [
      'label key length',
      withAlert((a) => {
        (a.labels as Record<string, Json>)['k'.repeat(128 + d)] = 'v';
      }),
    ],
    [
      'label value length',
      withAlert((a) => {
        (a.labels as Record<string, Json>).big = 'v'.repeat(2048 + d);
      }),
    ],
    [
      'annotation value length',
      withAlert((a) => {
        (a.annotations as Record<string, Json>).big = 'a'.repeat(8192 + d);
      }),
    ],
    [
      'annotations per alert',
      withAlert((a) => {
        a.annotations = many(64 + d, (i) => [`a${i}`, 'v']);
      }),
    ],
    [
      'fingerprint length',
      withAlert((a) => {
        a.fingerprint = 'f'.repeat(256 + d);
      }),
    ],
    [
      'generatorURL length',
      withAlert((a) => {
        a.generatorURL = 'u'.repeat(4096 + d);
      }),
    ],
    ['groupKey length', { ...baseAm(), groupKey: 'g'.repeat(8192 + d) }],
    ['receiver length', { ...baseAm(), receiver: 'r'.repeat(256 + d) }],
    ['common labels per notification', { ...baseAm(), commonLabels: many(64 + d, (i) => [`c${i}`, 'v']) }],
    ['alerts per notification', { ...baseAm(), alerts: Array.from({ length: 5000 + d }, (_, i) => compactAlert(i)) }],
    ['simple resource_id length', { ...baseSimple(), resource_id: 'r'.repeat(256 + d) }],
  ];
}

function deepNesting(): HostileCase[] {
  const deep = (n: number, leaf: string) => '{"a":'.repeat(n) + leaf + '}'.repeat(n);
  const arr = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const am = JSON.stringify(baseAm());
  const inLabels = (inner: string) => am.replace('"cluster":"prod"', `"cluster":${inner}`);
  const raw = (name: string, body: string): HostileCase => ({
    cls: 'deep nesting',
    name,
    body,
    contentType: 'application/json',
    status: 400,
  });
  return [
    raw('10,000 nested objects', deep(10_000, '1')),
    raw('10,000 nested arrays', arr(10_000)),
    raw('100,000 nested arrays', arr(100_000)),
    raw('10,000 levels in a label value', inLabels(deep(10_000, '"x"'))),
    raw('10,000 levels with __proto__ at the bottom', deep(10_000, '{"__proto__":{"polluted":1}}')),
    raw(
      '10,000 levels with constructor.prototype at the bottom',
      deep(10_000, '{"constructor":{"prototype":{"polluted":1}}}'),
    ),
    raw('10,000 levels unterminated', '{"a":'.repeat(10_000)),
    raw('nested arrays as alerts', am.replace(/"alerts":\[/, `"alerts":[${arr(5_000)},`)),
  ];
}

/** Strings no client can mean and the database could not store as sent. */
const HOSTILE_TEXT: Array<[string, string]> = [
  ['lone high surrogate', '\\ud800'],
  ['lone low surrogate', '\\udfff'],
  ['reversed surrogate pair', '\\udc00\\ud800'],
  ['NUL byte', '\\u0000'],
  ['NUL inside text', 'api\\u0000pool'],
  ['high surrogate at the end', 'pool\\ud83d'],
];
/** Unusual but legal text: must be accepted and kept exactly. */
export const LEGAL_TEXT: Array<[string, string]> = [
  ['RTL override', 'pool\u202Eloop'],
  ['zero-width joiner', 'api\u200Dpool'],
  ['astral emoji', 'pool 🔥𝕏'],
  ['arabic', 'مجموعة'],
  ['combining marks', 'e\u0301\u0301\u0301'],
  ['BOM', '\uFEFFpool'],
  ['terminal escape', '\u001b[31mred'],
];

function unicode(): HostileCase[] {
  const am = JSON.stringify(baseAm());
  const out: HostileCase[] = [];
  const spots: Array<[string, (t: string) => string]> = [
    ['label value', (t) => am.replace('"cluster":"prod"', `"cluster":"${t}"`)],
    ['label key', (t) => am.replace('"cluster":"prod"', `"c${t}":"prod"`)],
    ['alertname', (t) => am.replace('"alertname":"NodePoolCPUHigh"', `"alertname":"${t}"`)],
    ['fingerprint', (t) => am.replace('"74c48ecb66b5ba52"', `"74c4${t}"`)],
    ['annotation', (t) => am.replace('"value":"0.97"', `"value":"${t}"`)],
    ['groupKey', (t) => am.replace('"groupKey":"', `"groupKey":"${t}`)],
    ['simple resource_id', (t) => JSON.stringify(baseSimple()).replace('"api_pool"', `"${t}"`)],
  ];
  for (const [spot, make] of spots) {
    for (const [what, t] of HOSTILE_TEXT)
      out.push({
        cls: 'unicode',
        name: `${what} in ${spot}`,
        body: make(t),
        contentType: 'application/json',
        status: 400,
      });
  }
  out.push({
    cls: 'unicode',
    name: 'invalid UTF-8 bytes',
    body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1'),
    contentType: 'application/json',
    status: 400,
  });
  return out;
}

function protoKeys(): HostileCase[] {
  const out: HostileCase[] = [];
  const am = JSON.stringify(baseAm());
  const simple = JSON.stringify(baseSimple());
  const payloads: Array<[string, string]> = [
    ['__proto__', '{"polluted":"yes"}'],
    ['constructor', '{"prototype":{"polluted":"yes"}}'],
    ['prototype', '{"polluted":"yes"}'],
    ['constructor', '"x"'],
    ['__proto__', 'null'],
    ['prototype', '"x"'],
  ];
  for (const [key, value] of payloads) {
    const ins = `"${key}":${value},`;
    out.push(
      {
        cls: 'prototype pollution',
        name: `${key}=${value} top level (am)`,
        body: am.replace('{', `{${ins}`),
        contentType: 'application/json',
        status: 400,
      },
      {
        cls: 'prototype pollution',
        name: `${key}=${value} top level (simple)`,
        body: simple.replace('{', `{${ins}`),
        contentType: 'application/json',
        status: 400,
      },
      {
        cls: 'prototype pollution',
        name: `${key}=${value} in labels`,
        body: am.replace('"labels":{', `"labels":{${ins}`),
        contentType: 'application/json',
        status: 400,
      },
      {
        cls: 'prototype pollution',
        name: `${key}=${value} in an alert`,
        body: am.replace('"status":"firing","labels"', `${ins}"status":"firing","labels"`),
        contentType: 'application/json',
        status: 400,
      },
      {
        cls: 'prototype pollution',
        name: `${key}=${value} in annotations`,
        body: am.replace('"annotations":{', `"annotations":{${ins}`),
        contentType: 'application/json',
        status: 400,
      },
    );
  }
  out.push({
    cls: 'prototype pollution',
    name: 'unicode-escaped __proto__ key',
    body: am.replace('{', '{"\\u005f_proto__":{"polluted":"yes"},'),
    contentType: 'application/json',
    status: 400,
  });
  return out;
}

function transport(): HostileCase[] {
  const am = JSON.stringify(baseAm());
  const c = (
    name: string,
    body: string | undefined,
    contentType: string | null,
    status: 400 | 413 | 415,
  ): HostileCase => ({ cls: 'body/encoding', name, body, contentType, status });
  const out: HostileCase[] = [
    c('10 MB body', `{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`, 'application/json', 413),
    c('1 MB + 1 byte body', `{"pad":"${'x'.repeat(1024 * 1024 - 9)}"}`, 'application/json', 413),
    c('empty body', '', 'application/json', 400),
    // Every POST must say application/json, also without a body (cross-site forms cannot).
    c('no body, no content type', undefined, null, 415),
    c('whitespace body', '   \n ', 'application/json', 400),
    c('JSON null', 'null', 'application/json', 400),
    c('JSON string', '"alert"', 'application/json', 400),
    c('JSON number', '42', 'application/json', 400),
    c('JSON true', 'true', 'application/json', 400),
    c('NaN literal', '{"resource_id":"a","metric":"m","value":NaN,"threshold":1}', 'application/json', 400),
    c('Infinity literal', '{"resource_id":"a","metric":"m","value":Infinity,"threshold":1}', 'application/json', 400),
    c('trailing garbage', `${am}xyz`, 'application/json', 400),
    c('two documents', `${am}${am}`, 'application/json', 400),
    c('single quotes', am.replace(/"/g, "'"), 'application/json', 400),
    c('comments', `/* hi */${am}`, 'application/json', 400),
  ];
  for (const ct of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/html',
    'application/octet-stream',
    'application/yaml',
    'image/png',
  ]) {
    out.push(c(`content type ${ct}`, am, ct, 415));
  }
  out.push(c('valid JSON without content type', am, null, 415));
  for (const cut of [1, 2, 10, 0.25, 0.5, 0.75, 0.99]) {
    const n = cut < 1 ? Math.floor(am.length * cut) : am.length - cut;
    out.push(c(`truncated JSON (${n}/${am.length} bytes)`, am.slice(0, n), 'application/json', 400));
  }
  return out;
}

function shapes(): HostileCase[] {
  const am = baseAm();
  const alert = (am.alerts as Json[])[0] as Json;
  const list: Array<[string, Json]> = [
    ['array body', []],
    ['array of the payload', [am]],
    ['array of alerts', am.alerts as Json],
    ['alerts as object', { ...am, alerts: { 0: alert } }],
    [
      'labels as array',
      withAlert((a) => {
        a.labels = [['alertname', 'x']];
      }),
    ],
    ['alert as array', { ...am, alerts: [[alert]] }],
    [
      'annotations as array',
      withAlert((a) => {
        a.annotations = ['x'];
      }),
    ],
    ['alerts null entries', { ...am, alerts: [null] }],
    ['simple labels as array', { ...baseSimple(), labels: ['a'] }],
    ['simple with unknown field', { ...baseSimple(), extra: 1 }],
  ];
  return list.map(([n, b]) => json('arrays instead of objects', n, b));
}

function numbers(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const v of ['NaN', 'Infinity', '-Infinity', '1e999', '0x10', '1_000', ' 1', '']) {
    out.push(json('NaN/Infinity strings', `simple value "${v}"`, { ...baseSimple(), value: v }));
    out.push(json('NaN/Infinity strings', `simple threshold "${v}"`, { ...baseSimple(), threshold: v }));
  }
  const raw = (name: string, text: string): HostileCase => ({
    cls: 'negative/huge values',
    name,
    body: text,
    contentType: 'application/json',
    status: 400,
  });
  const simple = JSON.stringify(baseSimple());
  const am = JSON.stringify(baseAm());
  out.push(
    raw('simple value 1e999', simple.replace('"value":0.97', '"value":1e999')),
    raw('simple threshold -1e999', simple.replace('"threshold":0.9', '"threshold":-1e999')),
    raw('truncatedAlerts -1', am.replace('"truncatedAlerts":0', '"truncatedAlerts":-1')),
    raw('truncatedAlerts 1.5', am.replace('"truncatedAlerts":0', '"truncatedAlerts":1.5')),
    raw('truncatedAlerts 1e999', am.replace('"truncatedAlerts":0', '"truncatedAlerts":1e999')),
    raw('truncatedAlerts 2^53+2', am.replace('"truncatedAlerts":0', '"truncatedAlerts":9007199254740994')),
    raw('truncatedAlerts -0.0000001', am.replace('"truncatedAlerts":0', '"truncatedAlerts":-1e-7')),
    raw('truncatedAlerts 1e400 digits', am.replace('"truncatedAlerts":0', `"truncatedAlerts":1${'0'.repeat(400)}`)),
  );
  return out;
}

const BAD_TIMES = [
  '1',
  '2',
  'March 7',
  'Tuesday',
  'now',
  '',
  ' ',
  '2026-11-23',
  '09:14:28',
  '2026-11-23 09:14:28',
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-11-23T25:00:00Z',
  '2026-11-23T09:61:00Z',
  '10000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '2026-11-23T09:14:28',
  '1e12',
  '1700000000',
  '2026-11-23T09:14:28+25:00',
  'Mon, 23 Nov 2026 09:14:28 GMT',
  '2026-W47-1',
  '9'.repeat(64),
];

function timestamps(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const t of BAD_TIMES) {
    out.push(
      json(
        'timestamps out of range',
        `startsAt "${t}"`,
        withAlert((a) => {
          a.startsAt = t;
        }),
      ),
    );
    out.push(
      json(
        'timestamps out of range',
        `endsAt "${t}"`,
        withAlert((a) => {
          a.endsAt = t;
        }),
      ),
    );
  }
  return out;
}

/** 1–3 random type-breaking mutations of a valid body; each one alone already breaks it. */
function randomMutations(count: number, seed: number): HostileCase[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const out: HostileCase[] = [];
  for (let i = 0; i < count; i++) {
    const base = rnd() < 0.7 ? baseAm() : baseSimple();
    const b = clone(base);
    const steps: string[] = [];
    const n = 1 + Math.floor(rnd() * 3);
    for (let s = 0; s < n; s++) {
      // Paths and kinds of the valid base: a later step never turns an earlier break back into a valid value.
      const p = pick(paths(base));
      const original = getAt(base, p) as Json;
      const w = pick(WRONG.filter((x) => kindOf(x) !== kindOf(original)));
      if (setAt(b, p, w)) steps.push(`${p.join('.')}=${JSON.stringify(w)}`);
    }
    if (steps.length > 0) out.push(json('random mutations (seeded)', `#${i} ${steps.join(' ')}`, b));
  }
  return out;
}

export function hostileCases(seed = 0x1f2e3d4c): HostileCase[] {
  const over = sizes(true).map(([n, b]) => json('huge labels / limits', `${n} over the limit`, b));
  const fixed = [
    ...wrongTypes(),
    ...missingFields(),
    ...over,
    ...deepNesting(),
    ...unicode(),
    ...protoKeys(),
    ...transport(),
    ...shapes(),
    ...numbers(),
    ...timestamps(),
  ];
  return [...fixed, ...randomMutations(Math.max(0, 1100 - fixed.length), seed)];
}

/** Valid near-misses: must be accepted (2xx). */
export function controlCases(): Array<{ name: string; body: Json }> {
  const am = JSON.stringify(baseAm());
  const legal = LEGAL_TEXT.map(([n, t], i) => ({
    name: `legal unicode: ${n}`,
    body: JSON.parse(
      am
        .replace('"cluster":"prod"', `"cluster":${JSON.stringify(t)}`)
        .replace('"74c48ecb66b5ba52"', `"ctl${i}"`)
        .replace('"e1c1ed74357292fb"', `"ctl2${i}"`),
    ) as Json,
  }));
  return [...sizes(false).map(([n, b]) => ({ name: `${n} at the limit`, body: b })), ...legal];
}
