/**
 * The tfplugin6.Provider RPCs, transport-free: each takes the decoded request (proto-loader
 * objects, snake_case, bytes as Buffer) and returns the response object.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { conform, fillUnknowns, planValue, validateBlock } from './engine.js';
import {
  type Diagnostic,
  type ProviderDefinition,
  type ResourceContext,
  type ResourceType,
  toProtoSchema,
} from './schema.js';
import { deleteResource, getResource, putResource } from './store.js';
import { decodeValue, encodeValue, fromRaw, isKnown, type ValueMap } from './values.js';

interface DynamicValue {
  msgpack?: Buffer;
  json?: Buffer;
}
interface ProtoDiagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
}
type Req = Record<string, unknown>;

function dyn(v: unknown): DynamicValue | undefined {
  return typeof v === 'object' && v !== null ? (v as DynamicValue) : undefined;
}
function decodeDyn(v: unknown): ValueMap | null {
  const d = dyn(v);
  if (!d) return null;
  if (d.msgpack && d.msgpack.length > 0) {
    const val = decodeValue(d.msgpack);
    return val !== null && typeof val === 'object' && !Array.isArray(val) ? (val as ValueMap) : null;
  }
  if (d.json && d.json.length > 0) return fromRaw(JSON.parse(d.json.toString('utf8'))) as ValueMap;
  return null;
}
function enc(v: ValueMap | null): DynamicValue {
  return { msgpack: encodeValue(v) };
}
function diag(d: Diagnostic): ProtoDiagnostic {
  return { severity: d.severity, summary: d.summary, detail: d.detail ?? '' };
}
function error(summary: string, detail = ''): ProtoDiagnostic {
  return { severity: 'ERROR', summary, detail };
}

export const STATE_ENV = 'LOCAL_CLOUD_STATE';

export class LocalProvider {
  private config: ValueMap = {};
  private stateFile: string | null = null;

  constructor(private readonly def: ProviderDefinition) {}

  private resource(typeName: unknown): ResourceType {
    const r = typeof typeName === 'string' ? this.def.resources[typeName] : undefined;
    if (!r) throw new Error(`local cloud (${this.def.name}): unsupported resource type ${String(typeName)}`);
    return r;
  }

  private ctx(typeName: string): ResourceContext {
    return {
      provider: this.config,
      typeName,
      hex: (n) =>
        randomBytes(Math.ceil(n / 2))
          .toString('hex')
          .slice(0, n),
      digits: (n) =>
        Array.from({ length: n }, (_, i) => String(i === 0 ? randomInt(1, 10) : randomInt(0, 10))).join(''),
    };
  }

  private file(): string {
    if (this.stateFile) return this.stateFile;
    const f = process.env[STATE_ENV];
    if (!f) throw new Error(`${STATE_ENV} is not set`);
    return f;
  }

  getProviderSchema(): Req {
    const resource_schemas: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(this.def.resources))
      resource_schemas[name] = toProtoSchema(r.schema, r.version ?? 0);
    return {
      provider: toProtoSchema(this.def.schema),
      resource_schemas,
      data_source_schemas: {},
      diagnostics: [],
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false },
    };
  }

  getMetadata(): Req {
    return {
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false },
      diagnostics: [],
      resources: Object.keys(this.def.resources).map((type_name) => ({ type_name })),
      data_sources: [],
    };
  }

  validateProviderConfig(_req: Req): Req {
    return { diagnostics: [] };
  }

  validateResourceConfig(req: Req): Req {
    const r = this.resource(req['type_name']);
    const config = conform(r.schema, decodeDyn(req['config']));
    return { diagnostics: validateBlock(r.schema, config).map((p) => error(p)) };
  }

  configureProvider(req: Req): Req {
    this.config = conform(this.def.schema, decodeDyn(req['config']));
    const diagnostics = (this.def.configure?.(this.config) ?? []).map(diag);
    const f = process.env[STATE_ENV];
    if (!f)
      diagnostics.push(
        error(
          `local cloud: ${STATE_ENV} is not set`,
          `The local ${this.def.name} provider keeps its cloud in a JSON file; set ${STATE_ENV}=/path/to/cloud.json in the environment of terraform.`,
        ),
      );
    else this.stateFile = f;
    return { diagnostics };
  }

  upgradeResourceState(req: Req): Req {
    const r = this.resource(req['type_name']);
    const raw = req['raw_state'] as { json?: Buffer } | undefined;
    const parsed = raw?.json && raw.json.length > 0 ? fromRaw(JSON.parse(raw.json.toString('utf8'))) : null;
    return { upgraded_state: enc(conform(r.schema, parsed)), diagnostics: [] };
  }

  readResource(req: Req): Req {
    const type = String(req['type_name']);
    const r = this.resource(type);
    const current = decodeDyn(req['current_state']);
    const id = current?.['id'];
    if (typeof id !== 'string' || id === '') return { new_state: enc(null), diagnostics: [], private: req['private'] };
    const stored = getResource(this.file(), type, id);
    return { new_state: enc(stored ? conform(r.schema, stored) : null), diagnostics: [], private: req['private'] };
  }

  planResourceChange(req: Req): Req {
    const type = String(req['type_name']);
    const r = this.resource(type);
    const priorRaw = decodeDyn(req['prior_state']);
    const proposed = decodeDyn(req['proposed_new_state']);
    if (proposed === null)
      return { planned_state: enc(null), requires_replace: [], diagnostics: [], legacy_type_system: true };
    const prior = priorRaw ? conform(r.schema, priorRaw) : null;
    const config = conform(r.schema, decodeDyn(req['config']));
    let { planned, replace } = planValue(r.schema, prior, config);
    const hook = r.plan?.(planned, replace.length > 0 ? null : prior, this.ctx(type)) ?? {};
    const diagnostics = (hook.diagnostics ?? []).map(diag);
    if (prior && hook.replace && hook.replace.length > 0) {
      const extra = hook.replace.map((name) => ({ steps: [{ attribute_name: name }] }));
      if (replace.length === 0) planned = planValue(r.schema, null, config).planned;
      replace = [...replace, ...extra];
    }
    return {
      planned_state: enc(planned),
      requires_replace: replace,
      planned_private: req['prior_private'] ?? Buffer.alloc(0),
      diagnostics,
      legacy_type_system: true,
    };
  }

  applyResourceChange(req: Req): Req {
    const type = String(req['type_name']);
    const r = this.resource(type);
    const priorRaw = decodeDyn(req['prior_state']);
    const plannedRaw = decodeDyn(req['planned_state']);
    const prior = priorRaw ? conform(r.schema, priorRaw) : null;
    const file = this.file();
    if (plannedRaw === null) {
      const refusal = prior ? (r.destroy?.(prior) ?? []) : [];
      if (refusal.length > 0)
        return { new_state: enc(prior), diagnostics: refusal.map(diag), legacy_type_system: true };
      const id = prior?.['id'];
      if (typeof id === 'string') deleteResource(file, type, id);
      return { new_state: enc(null), diagnostics: [], legacy_type_system: true };
    }
    const planned = conform(r.schema, plannedRaw);
    const result = r.apply(planned, prior, this.ctx(type));
    if ('errors' in result)
      return { new_state: enc(prior), diagnostics: result.errors.map(diag), legacy_type_system: true };
    planned['id'] = result.id;
    const state = fillUnknowns(r.schema, planned);
    if (!isKnown(state)) throw new Error('apply left an unknown value');
    const priorId = prior?.['id'];
    if (typeof priorId === 'string' && priorId !== result.id) deleteResource(file, type, priorId);
    putResource(file, type, result.id, state);
    return {
      new_state: enc(state),
      private: req['planned_private'] ?? Buffer.alloc(0),
      diagnostics: [],
      legacy_type_system: true,
    };
  }

  importResourceState(req: Req): Req {
    const type = String(req['type_name']);
    const r = this.resource(type);
    const id = String(req['id']);
    const stored = getResource(this.file(), type, id);
    if (!stored)
      return {
        imported_resources: [],
        diagnostics: [
          error(
            'Cannot import non-existent remote object',
            `No ${type} with id "${id}" in the local cloud (${this.file()}).`,
          ),
        ],
      };
    return {
      imported_resources: [{ type_name: type, state: enc(conform(r.schema, stored)), private: Buffer.alloc(0) }],
      diagnostics: [],
    };
  }
}
