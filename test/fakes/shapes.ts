import type { RegistryResource } from '../../src/registry/registry-port.js';
import { resource } from './demo-registry.js';

/**
 * One resource per row of issue 13's table, with attributes as the real providers' state holds them
 * (nested blocks as one-element lists, kubernetes spec.replicas as a string).
 */
export const SHAPE_FIXTURES = {
  poolAutoscaled: (max = 3) =>
    resource('google_container_node_pool.pool', {
      name: 'web-pool',
      cluster: 'prod',
      node_count: 2,
      initial_node_count: 1,
      autoscaling: [{ min_node_count: 1, max_node_count: max, location_policy: 'BALANCED' }],
    }),
  poolFixed: (nodes = 2) =>
    resource('google_container_node_pool.pool', {
      name: 'web-pool',
      cluster: 'prod',
      node_count: nodes,
      initial_node_count: nodes,
      autoscaling: [],
    }),
  asg: (desired = 2, max = 4, min = 1, ignored: string[] = []) =>
    resource(
      'aws_autoscaling_group.web',
      { name: 'web-asg', min_size: min, max_size: max, desired_capacity: desired },
      { ignoredChanges: ignored },
    ),
  ecs: (count = 2, forceNew = true) =>
    resource('aws_ecs_service.api', {
      name: 'api',
      cluster: 'prod',
      desired_count: count,
      force_new_deployment: forceNew,
    }),
  deployment: (replicas = '2') =>
    resource('kubernetes_deployment.web', {
      id: 'default/web',
      metadata: [{ name: 'web', namespace: 'default', annotations: {} }],
      spec: [{ replicas, template: [{ metadata: [{ annotations: {} }] }] }],
    }),
  gce: (allowStopping = false) =>
    resource('google_compute_instance.vm', {
      name: 'vm-1',
      machine_type: 'e2-small',
      allow_stopping_for_update: allowStopping,
    }),
  ec2: () => resource('aws_instance.box', { instance_type: 't3.small', tags: { Name: 'box' } }),
} satisfies Record<string, (...args: never[]) => RegistryResource>;
