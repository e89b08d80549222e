/**
 * State + load → metric samples. Pure: the exporter calls it on every scrape.
 * Label values are what real exporters put there (pool, cluster, group and instance names),
 * never Terraform addresses: Prometheus knows nothing of Terraform.
 */
import { block, lastSegment, num, str, type Attributes, type CloudState } from './cloud-state.js';
import type { Load } from './load.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

/** Utilisation a resource shows when the load file names no demand for it. */
export const DEFAULT_UTILIZATION = 0.5;
/** The utilisation the simulated cluster autoscaler sizes an autoscaling node pool for. */
export const AUTOSCALER_TARGET = 0.7;
/** Memory in use on an instance the load file says nothing about (fraction). */
export const DEFAULT_MEMORY = 0.4;

const GIB = 1024 ** 3;
/** Memory per machine type (GiB); unknown types count as 4 GiB. */
const MEMORY_GIB: Record<string, number> = {
  'e2-micro': 1,
  'e2-small': 2,
  'e2-medium': 4,
  'e2-standard-2': 8,
  'e2-standard-4': 16,
  'n1-standard-1': 3.75,
  'n1-standard-2': 7.5,
  'n2-standard-2': 8,
  't3.micro': 1,
  't3.small': 2,
  't3.medium': 4,
  't3.large': 8,
  'm5.large': 8,
  'm5.xlarge': 16,
};

/** Every metric family, in a fixed order (empty families are still listed with HELP/TYPE). */
export function deriveFamilies(state: CloudState, load: Load): Family[] {
  const fams = new Map<string, Family>();
  const add = (name: string, help: string, labels: Record<string, string>, value: number) => {
    let f = fams.get(name);
    if (!f) fams.set(name, (f = { name, help, samples: [] }));
    f.samples.push({ labels, value });
  };
  for (const name of Object.keys(HELP)) fams.set(name, { name, help: HELP[name]!, samples: [] });
  const each = (type: string, fn: (a: Attributes, id: string) => void) => {
    for (const [id, a] of Object.entries(state.resources[type] ?? {})) fn(a, id);
  };
  each('google_container_node_pool', (a) => nodePool(a, load, add));
  each('aws_autoscaling_group', (a, id) => {
    const name = str(a, 'name') ?? id;
    const capacity = num(a, 'desired_capacity') ?? num(a, 'min_size') ?? 0;
    const labels = { autoscaling_group: name };
    add('localcloud_autoscaling_group_instances', HELP.localcloud_autoscaling_group_instances!, labels, capacity);
    add(
      'localcloud_autoscaling_group_cpu_utilization',
      HELP.localcloud_autoscaling_group_cpu_utilization!,
      labels,
      util(demandOf(load, [name], capacity), capacity),
    );
  });
  each('aws_ecs_service', (a, id) => {
    const service = str(a, 'name') ?? id;
    const cluster = lastSegment(str(a, 'cluster') ?? '');
    const capacity = num(a, 'desired_count') ?? 0;
    const labels = { cluster, service };
    add('localcloud_ecs_service_tasks', HELP.localcloud_ecs_service_tasks!, labels, capacity);
    add(
      'localcloud_ecs_service_cpu_utilization',
      HELP.localcloud_ecs_service_cpu_utilization!,
      labels,
      util(demandOf(load, [`${cluster}/${service}`, service], capacity), capacity),
    );
  });
  each('kubernetes_deployment', (a, id) => {
    const meta = block(a, 'metadata');
    const deployment = str(meta, 'name') ?? id;
    const namespace = str(meta, 'namespace') ?? 'default';
    // spec.replicas is a string in the kubernetes provider's schema ("3").
    const capacity = num(block(a, 'spec'), 'replicas') ?? 1;
    const labels = { namespace, deployment };
    add('localcloud_deployment_replicas', HELP.localcloud_deployment_replicas!, labels, capacity);
    add(
      'localcloud_deployment_cpu_utilization',
      HELP.localcloud_deployment_cpu_utilization!,
      labels,
      util(demandOf(load, [`${namespace}/${deployment}`, deployment], capacity), capacity),
    );
  });
  each('google_compute_instance', (a, id) =>
    instance(
      str(a, 'name') ?? id,
      lastSegment(str(a, 'machine_type') ?? ''),
      (str(a, 'current_status') ?? str(a, 'desired_status')) !== 'TERMINATED',
      load,
      add,
    ),
  );
  each('aws_instance', (a, id) => {
    const tags = a.tags;
    const tagName = typeof tags === 'object' && tags !== null ? (tags as Record<string, unknown>).Name : undefined;
    const name = typeof tagName === 'string' && tagName !== '' ? tagName : (str(a, 'id') ?? id);
    instance(name, str(a, 'instance_type') ?? '', (str(a, 'instance_state') ?? 'running') === 'running', load, add);
  });
  return [...fams.values()];
}

type Add = (name: string, help: string, labels: Record<string, string>, value: number) => void;

function nodePool(a: Attributes, load: Load, add: Add): void {
  const pool = str(a, 'name') ?? '';
  const cluster = lastSegment(str(a, 'cluster') ?? '');
  const labels = { cluster, pool, location: str(a, 'location') ?? '' };
  const nodeCount = num(a, 'node_count') ?? num(a, 'initial_node_count') ?? 0;
  const demand = demandOf(load, [`${cluster}/${pool}`, pool], nodeCount);
  const auto = block(a, 'autoscaling');
  let nodes = nodeCount;
  if (auto) {
    // No real autoscaler here: size the pool as one would, within the configured bounds, so raising
    // max_node_count is what lowers utilisation (node_count in state is not what scales it).
    const min = num(auto, 'min_node_count') ?? num(auto, 'total_min_node_count') ?? 0;
    const max = num(auto, 'max_node_count') ?? num(auto, 'total_max_node_count') ?? nodeCount;
    nodes = Math.min(Math.max(Math.ceil(demand / AUTOSCALER_TARGET), min), Math.max(min, max));
  }
  add('localcloud_node_pool_nodes', HELP.localcloud_node_pool_nodes!, labels, nodes);
  add('localcloud_node_pool_cpu_utilization', HELP.localcloud_node_pool_cpu_utilization!, labels, util(demand, nodes));
}

function instance(name: string, machineType: string, running: boolean, load: Load, add: Add): void {
  const labels = { instance: `${name}:9100`, job: 'node' };
  const up = running && !load.down.includes(name);
  add('localcloud_instance_up', HELP.localcloud_instance_up!, labels, up ? 1 : 0);
  // A node_exporter that does not answer reports nothing else.
  if (!up) return;
  const total = (MEMORY_GIB[machineType] ?? 4) * GIB;
  const used = Math.min(1, load.memory[name] ?? DEFAULT_MEMORY);
  add('localcloud_instance_memory_total_bytes', HELP.localcloud_instance_memory_total_bytes!, labels, total);
  add(
    'localcloud_instance_memory_used_bytes',
    HELP.localcloud_instance_memory_used_bytes!,
    labels,
    Math.round(total * used),
  );
  add('localcloud_instance_memory_utilization', HELP.localcloud_instance_memory_utilization!, labels, used);
}

/** The load file's demand under the first key it has, else the default utilisation of `capacity`. */
function demandOf(load: Load, keys: string[], capacity: number): number {
  for (const k of keys) {
    const v = load.demand[k];
    if (v !== undefined) return v;
  }
  return capacity * DEFAULT_UTILIZATION;
}

function util(demand: number, capacity: number): number {
  if (capacity <= 0) return demand > 0 ? Number.POSITIVE_INFINITY : 0;
  return demand / capacity;
}

const HELP: Record<string, string> = {
  localcloud_node_pool_cpu_utilization: 'CPU demand of a GKE node pool divided by its nodes (1 = saturated)',
  localcloud_node_pool_nodes:
    'Nodes serving a GKE node pool (node_count; sized by the simulated autoscaler when autoscaling is on)',
  localcloud_autoscaling_group_cpu_utilization:
    'CPU demand of an EC2 Auto Scaling group divided by its desired capacity',
  localcloud_autoscaling_group_instances: 'Desired capacity of an EC2 Auto Scaling group',
  localcloud_ecs_service_cpu_utilization: 'CPU demand of an ECS service divided by its desired task count',
  localcloud_ecs_service_tasks: 'Desired task count of an ECS service',
  localcloud_deployment_cpu_utilization: 'CPU demand of a Kubernetes Deployment divided by spec.replicas',
  localcloud_deployment_replicas: 'spec.replicas of a Kubernetes Deployment',
  localcloud_instance_up: '1 when the instance answers (its node_exporter would be scraped), else 0',
  localcloud_instance_memory_total_bytes: 'Memory of the instance, from its machine type',
  localcloud_instance_memory_used_bytes: 'Memory in use on the instance',
  localcloud_instance_memory_utilization: 'Fraction of the instance memory in use',
};
