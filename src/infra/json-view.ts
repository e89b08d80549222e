/**
 * The block allow-list for configuration in HCL's JSON form: submitted `.tf.json` files (read by
 * strict-json.ts) and the JSON that HashiCorp's parser (hcl2-parser) makes of a native file, the
 * second reading of every `.tf`. Terraform reads every JSON string in an expression position as
 * a template, and object keys there too, so *every* string and key is checked as a template with
 * the expression rules; the block structure decides only where types, labels and sources sit.
 *
 * HCL's JSON form allows an array wherever an object of labels or a body is expected; both are
 * followed here, so nothing Terraform reads is skipped.
 */
import type { HclParser } from '../hcl/parser.js';
import { refuseType, TOP_LEVEL_BLOCKS, type InfraAllowList } from './allow-list.js';
import { checkTemplateString, type ExprContext } from './expression-check.js';
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
import type { JsonObject, JsonValue } from './strict-json.js';

const COMMENT_KEY = '//';

function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

function entries(o: JsonObject): Array<[string, JsonValue]> {
  return Object.keys(o).map((k) => [k, o[k] as JsonValue]);
}

class JsonReader {
  readonly view: FileView = emptyView();

  constructor(
    private readonly parser: HclParser,
    private readonly file: string,
    private readonly allow: InfraAllowList,
  ) {}

  private refuse(message: string, what = message): void {
    this.view.findings.push(plainFinding(this.file, null, message, what));
  }

  /** Every key and string below `v`, as templates. */
  scan(v: JsonValue, extra: Partial<ExprContext> = {}): void {
    const ctx: ExprContext = { file: this.file, allow: this.allow, ...extra };
    if (typeof v === 'string') this.view.findings.push(...checkTemplateString(this.parser, v, ctx));
    else if (Array.isArray(v)) for (const x of v) this.scan(x, extra);
    else if (isObject(v)) {
      for (const [k, x] of entries(v)) {
        this.view.findings.push(...checkTemplateString(this.parser, k, ctx));
        this.scan(x, extra);
      }
    }
  }

  /** Calls `use(labels, body)` for every block under `v` with `n` labels (arrays followed at every level). */
  private blocks(
    kind: string,
    v: JsonValue,
    n: number,
    use: (labels: string[], body: JsonObject) => void,
    labels: string[] = [],
  ): void {
    if (Array.isArray(v)) {
      for (const x of v) this.blocks(kind, x, n, use, labels);
      return;
    }
    if (!isObject(v)) {
      this.refuse(
        `${kind} ${labels.map((l) => `"${clip(l)}"`).join(' ')} must be a JSON object`.replace(/\s+must/, ' must'),
      );
      return;
    }
    if (labels.length === n) {
      use(labels, v);
      return;
    }
    for (const [k, x] of entries(v)) {
      if (k === COMMENT_KEY) continue;
      if (!PLAIN_NAME.test(k)) {
        this.refuse(`${kind} label "${clip(k)}" is not a plain name (letters, digits, "_", "-")`);
        continue;
      }
      this.blocks(kind, x, n, use, [...labels, k]);
    }
  }

  topLevel(doc: JsonValue): void {
    if (!isObject(doc)) {
      this.refuse('a .tf.json file must hold one JSON object');
      return;
    }
    for (const [kind, v] of entries(doc)) {
      if (kind === COMMENT_KEY) continue;
      if (!TOP_LEVEL_BLOCKS.includes(kind)) {
        this.refuse(`block type "${clip(kind)}" is not allowed (allowed: ${TOP_LEVEL_BLOCKS.join(', ')})`);
        continue;
      }
      this.block(kind, v);
    }
  }

  private block(kind: string, v: JsonValue): void {
    const handlers: Record<string, () => void> = {
      resource: () =>
        this.blocks(kind, v, 2, ([t, n], body) => this.resource('managed', t as string, n as string, body)),
      data: () => this.blocks(kind, v, 2, ([t, n], body) => this.resource('data', t as string, n as string, body)),
      variable: () => this.blocks(kind, v, 1, ([n], body) => this.variable(n as string, body)),
      output: () => this.blocks(kind, v, 1, (_l, body) => this.scan(body)),
      locals: () => this.blocks(kind, v, 0, (_l, body) => this.scan(body)),
      module: () => this.blocks(kind, v, 1, ([n], body) => this.module(n as string, body)),
      terraform: () => this.blocks(kind, v, 0, (_l, body) => this.terraform(body)),
      provider: () => this.blocks(kind, v, 1, ([n], body) => this.provider(n as string, body)),
    };
    handlers[kind]?.();
  }

  private resource(mode: 'managed' | 'data', type: string, name: string, body: JsonObject): void {
    const refused = refuseType(this.allow, mode, type);
    if (refused) this.refuse(refused);
    (mode === 'managed' ? this.view.resources : this.view.data).push(
      mode === 'managed' ? `${type}.${name}` : `data.${type}.${name}`,
    );
    this.resourceBody(body);
  }

  /** Keys are compared case-insensitively: nothing legitimate spells a meta-argument otherwise. */
  private resourceBody(body: JsonObject): void {
    for (const [k, x] of entries(body)) {
      const key = k.toLowerCase();
      if (RESOURCE_META.includes(key)) {
        this.refuse(
          `${key} blocks are not allowed: they run commands on the InfraAI host or connect from it`,
          `meta ${key} ${clip(JSON.stringify(x), 160)}`,
        );
        continue;
      }
      if (key === 'dynamic') {
        this.blocks('dynamic', x, 1, ([label], inner) => {
          if (RESOURCE_META.includes((label as string).toLowerCase()))
            this.refuse(
              `${label as string} blocks are not allowed, not even through dynamic`,
              `meta ${label as string} ${clip(JSON.stringify(inner), 160)}`,
            );
          else this.scan(inner);
        });
        continue;
      }
      this.view.findings.push(...checkTemplateString(this.parser, k, { file: this.file, allow: this.allow }));
      this.scan(x);
    }
  }

  private variable(name: string, body: JsonObject): void {
    this.view.variables.push(name);
    for (const [k, x] of entries(body)) this.scan(x, { typeExpression: k === 'type' });
  }

  private module(name: string, body: JsonObject): void {
    const source = body.source;
    if (typeof source !== 'string') this.refuse(`module "${name}" needs a literal string source`);
    else if (source.includes('${') || source.includes('%{'))
      this.refuse(`module "${name}" source must be a literal path, not a template`);
    else {
      const problem = moduleSourceProblem(source);
      if (problem) this.refuse(problem);
      else this.view.moduleCalls.push({ name, source });
    }
    if (body.version !== undefined) this.refuse('module "version" is only for registry modules, which are not allowed');
    this.scan(body);
  }

  private terraform(body: JsonObject): void {
    for (const [k, x] of entries(body)) {
      if (k === COMMENT_KEY) continue;
      if (k === 'required_version') this.scan(x);
      else if (k === 'required_providers')
        this.blocks('required_providers', x, 0, (_l, rp) => this.requiredProviders(rp));
      else
        this.refuse(
          `terraform { ${clip(k)} } is not allowed (only required_providers and required_version; no backend, no cloud)`,
        );
    }
  }

  private requiredProviders(rp: JsonObject): void {
    for (const [name, spec] of entries(rp)) {
      if (name === COMMENT_KEY) continue;
      const source = isObject(spec) && typeof spec.source === 'string' ? spec.source : undefined;
      const problem = requiredProviderProblem(this.allow, name, source);
      if (problem) this.refuse(problem);
      this.view.providers.push(name);
      this.scan(spec);
    }
  }

  private provider(name: string, body: JsonObject): void {
    this.view.providers.push(name);
    for (const k of Object.keys(body)) {
      if (k === COMMENT_KEY) continue;
      const problem = providerArgumentProblem(this.allow, name, k);
      if (problem) this.refuse(problem);
    }
    this.scan(body);
  }

  tfvars(doc: JsonValue): void {
    if (!isObject(doc)) {
      this.refuse('a .tfvars.json file must hold one JSON object');
      return;
    }
    for (const [k, x] of entries(doc)) {
      this.view.assigned.push(k);
      this.scan(x, { literalOnly: true });
    }
  }
}

/** Reads a JSON-form file (already parsed); `kind` says configuration or tfvars. */
export function readJsonView(
  parser: HclParser,
  file: string,
  doc: JsonValue,
  allow: InfraAllowList,
  kind: 'config' | 'tfvars',
): FileView {
  const reader = new JsonReader(parser, file, allow);
  if (kind === 'tfvars') reader.tfvars(doc);
  else reader.topLevel(doc);
  return reader.view;
}
