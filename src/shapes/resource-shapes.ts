/**
 * What each action means on each resource type: the one table the rules agent, the default policy,
 * the executor and the plan gate read (README "What an action means on each resource type").
 * Pure data plus pure functions over a resource's state attributes; no I/O.
 */

/** How a resource is restarted. */
export type RestartMethod =
  /** `terraform apply -replace=ADDR` of the one instance (a VM: it is destroyed and recreated). */
  | { kind: 'replace' }
  /**
   * A rolling restart by editing one map entry to the current time (what `kubectl rollout restart`
   * does for a Deployment). `path` ends with the map key; `requires` must already hold in the
   * configuration (e.g. ECS `force_new_deployment = true`), else the restart goes to a human.
   */
  | { kind: 'stamp'; path: readonly string[]; requires?: { path: readonly string[]; value: boolean } }
  /** No safe Terraform-side restart: a human decides (unless the policy opts the address/type in to a replace). */
  | { kind: 'human'; reason: string };

/** An attribute whose change is applied by stopping the resource, and only when `flag` is true in the config. */
export interface Acknowledgement {
  attribute: string;
  flag: string;
  disruption: 'stop_start';
  /** The provider's own wording when the flag is missing (the apply would fail with it). */
  message: string;
}

/** An attribute the agent must never change on this type, and why (shown to humans). */
export interface Forbidden {
  path: string;
  reason: string;
  /** Only while this holds (e.g. `node_count` only while autoscaling is on); absent = always. */
  when?: (attributes: Readonly<Record<string, unknown>>) => boolean;
}

/** The attribute a scale action changes, with its current value and the bounds the resource itself sets. */
export type ScaleTarget =
  | {
      ok: true;
      /** Dotted parameter path, e.g. `autoscaling.max_node_count`, `spec.replicas`, `count`. */
      path: string;
      current: number;
      /** Bounds the resource imposes (ASG min_size..max_size); the policy's bounds apply on top. */
      min?: number;
      max?: number;
      /**
       * The resource's own bound the value sits on, moved with it in the same action (ASG at
       * max_size: `max_size` is raised to the new desired_capacity; at min_size: `min_size` lowered).
       * The policy bounds it too.
       */
      bound?: { path: string; current: number };
    }
  | { ok: false; reason: string };

/** What a shape's scale rule sees: the resource's state attributes and its configuration facts. */
export interface ScaleView {
  attributes: Readonly<Record<string, unknown>>;
  /** Paths under `lifecycle { ignore_changes }` of the block, as written (`desired_capacity`); `all` covers everything. */
  ignoredChanges: readonly string[];
  /** Present count instances of the block (`count = N`), undefined when the block has no count. */
  countInstances?: number;
}

export interface ResourceShape {
  type: string;
  /** True when one resource is many machines (pool, group, service, Deployment): a replace recreates all of them. */
  group: boolean;
  /** The attribute scale_up / scale_down changes, or why this type is not scaled by an attribute. */
  scale(view: ScaleView, direction: 'up' | 'down'): ScaleTarget;
  restart: RestartMethod;
  /** Paths held as numeric strings in schema, state and plan (`spec.replicas = "3"`): compared and bounded as numbers. */
  numericStrings: readonly string[];
  acknowledgements: readonly Acknowledgement[];
  forbidden: readonly Forbidden[];
}

/** Reads a dotted path through one-element lists (providers store nested blocks as `[{…}]`). */
export function readPath(attributes: Readonly<Record<string, unknown>>, path: string): unknown {
  let v: unknown = attributes;
  for (const key of path.split('.')) {
    if (Array.isArray(v) && v.length === 1) v = v[0];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** A number, or a string that is exactly a decimal number (`"3"`); anything else is undefined. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function numberAt(attributes: Readonly<Record<string, unknown>>, path: string): number | undefined {
  return asNumber(readPath(attributes, path));
}

/** `spec[0].replicas` → `spec.replicas`: list indices in an ignore_changes entry name the one nested block. */
function withoutIndices(path: string): string {
  return path.replace(/\[\d+\]/g, '');
}

/** The `ignore_changes` entry covering `path` (the path itself, a parent of it, or `all`), as written. */
export function ignoreRuleFor(ignored: readonly string[], path: string): string | undefined {
  return ignored.find((raw) => {
    const p = withoutIndices(raw);
    return p === 'all' || p === path || path.startsWith(`${p}.`);
  });
}

/** True when `ignore_changes` covers `path` (the path itself, a parent of it, or `all`; `[0]` indices ignored). */
export function ignoresChange(ignored: readonly string[], path: string): boolean {
  return ignoreRuleFor(ignored, path) !== undefined;
}

function found(
  path: string,
  current: number | undefined,
  bounds: { min?: number; max?: number; bound?: { path: string; current: number } } = {},
): ScaleTarget {
  if (current === undefined) return { ok: false, reason: `${path} has no numeric value in state` };
  return { ok: true, path, current, ...bounds };
}

function autoscalingOn(attributes: Readonly<Record<string, unknown>>): boolean {
  const a = readPath(attributes, 'autoscaling');
  return Array.isArray(a) ? a.length > 0 : a !== null && a !== undefined && typeof a === 'object';
}

const NODE_POOL: ResourceShape = {
  type: 'google_container_node_pool',
  group: true,
  scale({ attributes }, direction) {
    if (autoscalingOn(attributes)) {
      const path = direction === 'up' ? 'autoscaling.max_node_count' : 'autoscaling.min_node_count';
      return found(path, numberAt(attributes, path));
    }
    return found('node_count', numberAt(attributes, 'node_count'));
  },
  restart: {
    kind: 'human',
    reason:
      'a node pool has no Terraform-side rolling restart (a replace would recreate every node); recreate nodes with a surge upgrade, or opt the pool in to a replace in the policy',
  },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [
    { path: 'initial_node_count', reason: 'initial_node_count is ForceNew: changing it recreates the whole pool' },
    {
      path: 'node_count',
      reason:
        'node_count fights the cluster autoscaler while autoscaling is on; change autoscaling.max_node_count / min_node_count',
      when: autoscalingOn,
    },
  ],
};

const ASG: ResourceShape = {
  type: 'aws_autoscaling_group',
  group: true,
  scale({ attributes, ignoredChanges }, direction) {
    const min = numberAt(attributes, 'min_size');
    const max = numberAt(attributes, 'max_size');
    if (ignoresChange(ignoredChanges, 'desired_capacity')) {
      // desired_capacity belongs to a scaling policy: move the bound it scales within.
      const path = direction === 'up' ? 'max_size' : 'min_size';
      return found(path, path === 'max_size' ? max : min);
    }
    const desired = numberAt(attributes, 'desired_capacity');
    // At its own bound: the bound moves with it, in the same action (one plan, gated together).
    if (desired !== undefined && max !== undefined && direction === 'up' && desired >= max) {
      return found('desired_capacity', desired, {
        ...(min !== undefined && { min }),
        bound: { path: 'max_size', current: max },
      });
    }
    if (desired !== undefined && min !== undefined && direction === 'down' && desired <= min) {
      return found('desired_capacity', desired, {
        ...(max !== undefined && { max }),
        bound: { path: 'min_size', current: min },
      });
    }
    return found('desired_capacity', desired, { ...(min !== undefined && { min }), ...(max !== undefined && { max }) });
  },
  restart: {
    kind: 'human',
    reason:
      'an autoscaling group is restarted by an instance refresh, which InfraAI does not start; a replace would recreate the whole group',
  },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [],
};

const ECS_SERVICE: ResourceShape = {
  type: 'aws_ecs_service',
  group: true,
  scale: ({ attributes }) => found('desired_count', numberAt(attributes, 'desired_count')),
  restart: {
    kind: 'stamp',
    path: ['triggers', 'infraai_restarted_at'],
    requires: { path: ['force_new_deployment'], value: true },
  },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [],
};

const K8S_DEPLOYMENT: ResourceShape = {
  type: 'kubernetes_deployment',
  group: true,
  scale: ({ attributes }) => found('spec.replicas', numberAt(attributes, 'spec.replicas')),
  restart: {
    kind: 'stamp',
    path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'],
  },
  numericStrings: ['spec.replicas'],
  acknowledgements: [],
  forbidden: [
    { path: 'metadata.name', reason: 'metadata.name is ForceNew: changing it recreates the Deployment' },
    { path: 'metadata.namespace', reason: 'metadata.namespace is ForceNew: changing it recreates the Deployment' },
  ],
};

const single = (type: string, resize: string): ResourceShape => ({
  type,
  group: false,
  scale: () => ({
    ok: false,
    reason: `${type} is one machine: it is not scaled out; resize it with modify_config on ${resize}`,
  }),
  restart: { kind: 'replace' },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [],
});

const GCE_INSTANCE: ResourceShape = {
  ...single('google_compute_instance', 'machine_type'),
  acknowledgements: [
    {
      attribute: 'machine_type',
      flag: 'allow_stopping_for_update',
      disruption: 'stop_start',
      message:
        'Changing the machine_type, min_cpu_platform, service_account, enable_display, shielded_instance_config, scheduling.node_affinities or network_interface.[#d].(network/subnetwork/subnetwork_project) or advanced_machine_features on a started instance requires stopping it. To acknowledge this, please set allow_stopping_for_update = true in your config. You can also stop it by setting desired_status = "TERMINATED", but the instance will not be restarted after the update.',
    },
  ],
};

const unscaled = (type: string, why: string): ResourceShape => ({
  type,
  group: true,
  scale: () => ({ ok: false, reason: why }),
  restart: { kind: 'human', reason: why },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [],
});

/** Paths tried in order for types without an entry (terraform_data and anything unknown). */
const GENERIC_SCALE_UP = ['count', 'node_count', 'replicas', 'desired_count', 'autoscaling.max_node_count'];
const GENERIC_SCALE_DOWN = ['count', 'node_count', 'replicas', 'desired_count', 'autoscaling.min_node_count'];

/** terraform_data and unknown types: the first scalable attribute, literally or under `input`; restart = replace. */
export const GENERIC_SHAPE: ResourceShape = {
  type: '*',
  group: false,
  scale({ attributes, countInstances }, direction) {
    for (const path of direction === 'up' ? GENERIC_SCALE_UP : GENERIC_SCALE_DOWN) {
      if (path === 'count') {
        if (countInstances !== undefined) return { ok: true, path, current: countInstances };
        continue;
      }
      for (const candidate of [path, `input.${path}`]) {
        const n = readPath(attributes, candidate);
        if (typeof n === 'number') return { ok: true, path, current: n };
      }
    }
    return { ok: false, reason: 'no count or node_count-like attribute to scale' };
  },
  restart: { kind: 'replace' },
  numericStrings: [],
  acknowledgements: [],
  forbidden: [],
};

export const RESOURCE_SHAPES: Readonly<Record<string, ResourceShape>> = Object.fromEntries(
  [
    NODE_POOL,
    ASG,
    ECS_SERVICE,
    K8S_DEPLOYMENT,
    GCE_INSTANCE,
    single('aws_instance', 'instance_type'),
    unscaled('google_container_cluster', 'a GKE cluster is scaled through its node pools'),
    unscaled('aws_launch_template', 'a launch template is not a running resource; act on its autoscaling group'),
  ].map((s) => [s.type, s]),
);

/** The shape for a resource type; GENERIC_SHAPE when the type has no entry. */
export function shapeOf(type: string): ResourceShape {
  return Object.hasOwn(RESOURCE_SHAPES, type) ? (RESOURCE_SHAPES[type] as ResourceShape) : GENERIC_SHAPE;
}

/** The forbidden-path entry covering `path` on this resource now, if any. */
export function forbiddenChange(
  shape: ResourceShape,
  path: string,
  attributes: Readonly<Record<string, unknown>>,
): Forbidden | undefined {
  return shape.forbidden.find((f) => f.path === path && (f.when === undefined || f.when(attributes)));
}

/** True when `path` is held as a numeric string on this type. */
export function isNumericString(shape: ResourceShape, path: string): boolean {
  return shape.numericStrings.includes(path);
}
