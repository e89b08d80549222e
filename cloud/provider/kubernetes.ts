/**
 * hashicorp/kubernetes (stand-in for 2.x): kubernetes_deployment and kubernetes_secret — curated
 * subsets of the real schemas. spec.replicas is a STRING (as in the real schema, state and plan).
 */
import { randomUUID } from 'node:crypto';
import {
  type Block,
  bool,
  C,
  list,
  num,
  O,
  OC,
  type ProviderDefinition,
  R,
  type ResourceType,
  str,
  strList,
  strMap,
  timeouts,
} from './schema.js';
import { isMap, Unknown, type Value, type ValueMap } from './values.js';

function setIfUnknown(values: ValueMap, key: string, v: Value): void {
  if (values[key] instanceof Unknown || values[key] === null || values[key] === undefined) values[key] = v;
}
function first(v: Value | undefined): ValueMap | null {
  return Array.isArray(v) && isMap(v[0]) ? v[0] : null;
}

/** Object metadata; name/namespace ForceNew on the object itself. */
function objectMetadata(namespaced: boolean): Block {
  return {
    attributes: {
      name: str({ ...OC, forceNew: true }),
      generate_name: str({ ...O, forceNew: true }),
      ...(namespaced ? { namespace: str({ ...O, forceNew: true, default: 'default' }) } : {}),
      labels: strMap(O),
      annotations: strMap(O),
      generation: num(C),
      resource_version: str(C),
      uid: str(C),
    },
  };
}

const templateMetadata: Block = {
  attributes: {
    name: str(OC),
    generate_name: str(O),
    namespace: str(O),
    labels: strMap(O),
    annotations: strMap(O),
    generation: num(C),
    resource_version: str(C),
    uid: str(C),
  },
};

const container: Block = {
  attributes: {
    name: str(R),
    image: str(O),
    image_pull_policy: str({ ...OC, computedDefault: 'IfNotPresent' }),
    args: strList(O),
    command: strList(O),
    working_dir: str(O),
    termination_message_path: str({ ...O, default: '/dev/termination-log' }),
    termination_message_policy: str({ ...OC, computedDefault: 'File' }),
  },
  blocks: {
    env: list({ attributes: { name: str(R), value: str(O) } }),
    port: list({
      attributes: { container_port: num(R), name: str(O), protocol: str({ ...O, default: 'TCP' }), host_port: num(O) },
    }),
    resources: list(
      {
        attributes: {
          limits: strMap({ ...OC, computedDefault: {} }),
          requests: strMap({ ...OC, computedDefault: {} }),
        },
      },
      { maxItems: 1, computed: true },
    ),
  },
};

const podSpec: Block = {
  attributes: {
    service_account_name: str({ ...OC, computedDefault: 'default' }),
    node_selector: strMap(O),
    restart_policy: str({ ...O, default: 'Always' }),
    termination_grace_period_seconds: num({ ...O, default: 30 }),
    dns_policy: str({ ...O, default: 'ClusterFirst' }),
    priority_class_name: str(O),
    automount_service_account_token: bool({ ...O, default: true }),
  },
  blocks: {
    container: list(container),
    init_container: list(container),
  },
};

const deployment: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      wait_for_rollout: bool({ ...O, default: true }),
    },
    blocks: {
      metadata: list(objectMetadata(true), { minItems: 1, maxItems: 1 }),
      spec: list(
        {
          attributes: {
            replicas: str({
              ...OC,
              description: 'Number of desired pods. A string, to tell an explicit zero from unset.',
            }),
            min_ready_seconds: num({ ...O, default: 0 }),
            paused: bool({ ...O, default: false }),
            progress_deadline_seconds: num({ ...O, default: 600 }),
            revision_history_limit: num({ ...O, default: 10 }),
          },
          blocks: {
            selector: list(
              {
                attributes: { match_labels: strMap({ ...O, forceNew: true }) },
                blocks: {
                  match_expressions: list({
                    attributes: { key: str(O), operator: str(O), values: { type: ['set', 'string'], optional: true } },
                  }),
                },
              },
              { minItems: 1, maxItems: 1, forceNew: true },
            ),
            strategy: list(
              {
                attributes: { type: str({ ...O, default: 'RollingUpdate' }) },
                blocks: {
                  rolling_update: list(
                    {
                      attributes: {
                        max_surge: str({ ...O, default: '25%' }),
                        max_unavailable: str({ ...O, default: '25%' }),
                      },
                    },
                    { maxItems: 1, computed: true },
                  ),
                },
              },
              { maxItems: 1, computed: true },
            ),
            template: list(
              {
                attributes: {},
                blocks: {
                  metadata: list(templateMetadata, { minItems: 1, maxItems: 1 }),
                  spec: list(podSpec, { maxItems: 1, computed: true }),
                },
              },
              { minItems: 1, maxItems: 1 },
            ),
          },
        },
        { minItems: 1, maxItems: 1 },
      ),
      timeouts: timeouts('create', 'update', 'delete'),
    },
  },
  version: 1,
  apply(planned, prior, ctx) {
    const md = first(planned['metadata']);
    const spec = first(planned['spec']);
    if (!md || !spec) return { errors: [{ severity: 'ERROR', summary: 'metadata and spec are required' }] };
    if (md['name'] instanceof Unknown || md['name'] === null)
      md['name'] = `${typeof md['generate_name'] === 'string' ? md['generate_name'] : ''}${ctx.hex(5)}`;
    const ns = typeof md['namespace'] === 'string' ? md['namespace'] : 'default';
    const replicas = spec['replicas'];
    if (typeof replicas === 'string' && !/^\d+$/.test(replicas))
      return {
        errors: [
          {
            severity: 'ERROR',
            summary: `Failed to update deployment: Deployment.apps "${String(md['name'])}" is invalid: spec.replicas: Invalid value: "${replicas}": must be a non-negative integer`,
          },
        ],
      };
    setIfUnknown(spec, 'replicas', '1');
    const priorMd = first(prior?.['metadata']);
    const generation = typeof priorMd?.['generation'] === 'number' ? priorMd['generation'] + 1 : 1;
    md['generation'] = generation;
    md['resource_version'] = ctx.digits(6);
    setIfUnknown(md, 'uid', randomUUID());
    const tmd = first(first(spec['template'])?.['metadata']);
    if (tmd) {
      setIfUnknown(tmd, 'name', '');
      setIfUnknown(tmd, 'generation', 0);
      setIfUnknown(tmd, 'resource_version', '');
      setIfUnknown(tmd, 'uid', '');
    }
    return { id: `${ns}/${String(md['name'])}` };
  },
};

/** Here for its real sensitive attributes (`data`, `binary_data`): kubernetes_deployment has none. */
const secret: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      data: strMap({ ...O, sensitive: true }),
      binary_data: strMap({ ...O, sensitive: true }),
      type: str({ ...O, forceNew: true, default: 'Opaque' }),
      immutable: bool(O),
      wait_for_service_account_token: bool({ ...O, default: true }),
    },
    blocks: {
      metadata: list(objectMetadata(true), { minItems: 1, maxItems: 1 }),
      timeouts: timeouts('create'),
    },
  },
  apply(planned, prior, ctx) {
    const md = first(planned['metadata']);
    if (!md) return { errors: [{ severity: 'ERROR', summary: 'metadata is required' }] };
    if (md['name'] instanceof Unknown || md['name'] === null)
      md['name'] = `${typeof md['generate_name'] === 'string' ? md['generate_name'] : ''}${ctx.hex(5)}`;
    const priorMd = first(prior?.['metadata']);
    md['generation'] = 0;
    md['resource_version'] = ctx.digits(6);
    setIfUnknown(md, 'uid', typeof priorMd?.['uid'] === 'string' ? priorMd['uid'] : randomUUID());
    const ns = typeof md['namespace'] === 'string' ? md['namespace'] : 'default';
    return { id: `${ns}/${String(md['name'])}` };
  },
};

export const kubernetes: ProviderDefinition = {
  name: 'kubernetes',
  schema: {
    attributes: {
      host: str(O),
      username: str(O),
      password: str(O),
      insecure: bool(O),
      tls_server_name: str(O),
      client_certificate: str(O),
      client_key: str(O),
      cluster_ca_certificate: str(O),
      config_paths: strList(O),
      config_path: str(O),
      config_context: str(O),
      config_context_auth_info: str(O),
      config_context_cluster: str(O),
      token: str(O),
      proxy_url: str(O),
      ignore_annotations: strList(O),
      ignore_labels: strList(O),
    },
    blocks: {
      exec: list(
        { attributes: { api_version: str(R), command: str(R), env: strMap(O), args: strList(O) } },
        { maxItems: 1 },
      ),
      experiments: list({ attributes: { manifest_resource: bool(O) } }, { maxItems: 1 }),
    },
  },
  resources: { kubernetes_deployment: deployment, kubernetes_secret: secret },
};
