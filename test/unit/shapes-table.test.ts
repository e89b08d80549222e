import { describe, expect, it } from 'vitest';
import {
  asNumber,
  forbiddenChange,
  GENERIC_SHAPE,
  ignoreRuleFor,
  ignoresChange,
  isNumericString,
  readPath,
  shapeOf,
} from '../../src/shapes/resource-shapes.js';
import { SHAPE_FIXTURES as F } from '../fakes/shapes.js';
import type { RegistryResource } from '../../src/registry/registry-port.js';

const scaleOf = (r: RegistryResource, direction: 'up' | 'down', countInstances?: number) =>
  shapeOf(r.type).scale(
    {
      attributes: r.attributes,
      ignoredChanges: r.ignoredChanges ?? [],
      ...(countInstances !== undefined && { countInstances }),
    },
    direction,
  );

describe('shapes table: which attribute a scale changes', () => {
  it('node pool with autoscaling: the autoscaler bounds, never node_count or initial_node_count', () => {
    expect(scaleOf(F.poolAutoscaled(3), 'up')).toEqual({ ok: true, path: 'autoscaling.max_node_count', current: 3 });
    expect(scaleOf(F.poolAutoscaled(3), 'down')).toEqual({ ok: true, path: 'autoscaling.min_node_count', current: 1 });
  });

  it('node pool without autoscaling (empty autoscaling list in state): node_count', () => {
    expect(scaleOf(F.poolFixed(2), 'up')).toEqual({ ok: true, path: 'node_count', current: 2 });
    expect(scaleOf(F.poolFixed(2), 'down')).toEqual({ ok: true, path: 'node_count', current: 2 });
  });

  it('ASG: desired_capacity with min_size..max_size as its own bounds; at a bound, the bound moves with it', () => {
    expect(scaleOf(F.asg(2, 4, 1), 'up')).toEqual({ ok: true, path: 'desired_capacity', current: 2, min: 1, max: 4 });
    expect(scaleOf(F.asg(4, 4, 1), 'up')).toEqual({
      ok: true,
      path: 'desired_capacity',
      current: 4,
      min: 1,
      bound: { path: 'max_size', current: 4 },
    });
    expect(scaleOf(F.asg(1, 4, 1), 'down')).toEqual({
      ok: true,
      path: 'desired_capacity',
      current: 1,
      max: 4,
      bound: { path: 'min_size', current: 1 },
    });
  });

  it('ASG with desired_capacity under ignore_changes: max_size up, min_size down', () => {
    expect(scaleOf(F.asg(4, 4, 1, ['desired_capacity']), 'up')).toEqual({ ok: true, path: 'max_size', current: 4 });
    expect(scaleOf(F.asg(2, 4, 1, ['desired_capacity']), 'down')).toEqual({ ok: true, path: 'min_size', current: 1 });
  });

  it('ECS desired_count; Deployment spec.replicas read from the string "2" as the number 2', () => {
    expect(scaleOf(F.ecs(2), 'up')).toEqual({ ok: true, path: 'desired_count', current: 2 });
    expect(scaleOf(F.deployment('2'), 'up')).toEqual({ ok: true, path: 'spec.replicas', current: 2 });
    const junk = scaleOf(F.deployment('two'), 'up');
    expect(junk.ok).toBe(false);
  });

  it('one machine (GCE, EC2): not scaled, the reason names the resize attribute', () => {
    const gce = scaleOf(F.gce(), 'up');
    const ec2 = scaleOf(F.ec2(), 'down');
    expect(gce.ok || ec2.ok).toBe(false);
    if (!gce.ok) expect(gce.reason).toMatch(/one machine.*machine_type/);
    if (!ec2.ok) expect(ec2.reason).toMatch(/one machine.*instance_type/);
  });

  it('terraform_data and unknown types: generic (count instances, then node_count-like, also under input)', () => {
    expect(shapeOf('terraform_data')).toBe(GENERIC_SHAPE);
    expect(shapeOf('something_new')).toBe(GENERIC_SHAPE);
    const vm = { attributes: { input: { node_count: 2 } }, ignoredChanges: [] };
    expect(GENERIC_SHAPE.scale(vm, 'up')).toEqual({ ok: true, path: 'node_count', current: 2 });
    expect(GENERIC_SHAPE.scale({ ...vm, countInstances: 3 }, 'up')).toEqual({ ok: true, path: 'count', current: 3 });
    expect(GENERIC_SHAPE.scale({ attributes: {}, ignoredChanges: [] }, 'up').ok).toBe(false);
  });
});

describe('shapes table: restart method, forbidden paths, numeric strings', () => {
  it('restart: instances replace, ECS/Deployment stamp, node pool/ASG go to a human', () => {
    expect(shapeOf('google_compute_instance').restart.kind).toBe('replace');
    expect(shapeOf('aws_instance').restart.kind).toBe('replace');
    expect(shapeOf('terraform_data').restart.kind).toBe('replace');
    expect(shapeOf('kubernetes_deployment').restart).toMatchObject({
      kind: 'stamp',
      path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'],
    });
    expect(shapeOf('aws_ecs_service').restart).toMatchObject({
      kind: 'stamp',
      requires: { path: ['force_new_deployment'], value: true },
    });
    expect(shapeOf('google_container_node_pool').restart.kind).toBe('human');
    expect(shapeOf('aws_autoscaling_group').restart.kind).toBe('human');
  });

  it('node_count is forbidden only while autoscaling is on; initial_node_count and metadata.name always', () => {
    const pool = shapeOf('google_container_node_pool');
    expect(forbiddenChange(pool, 'node_count', F.poolAutoscaled().attributes)?.reason).toMatch(
      /fights the cluster autoscaler/,
    );
    expect(forbiddenChange(pool, 'node_count', F.poolFixed().attributes)).toBeUndefined();
    expect(forbiddenChange(pool, 'initial_node_count', F.poolFixed().attributes)?.reason).toMatch(/ForceNew/);
    const dep = shapeOf('kubernetes_deployment');
    expect(forbiddenChange(dep, 'metadata.name', F.deployment().attributes)?.reason).toMatch(
      /recreates the Deployment/,
    );
    expect(forbiddenChange(dep, 'spec.replicas', F.deployment().attributes)).toBeUndefined();
  });

  it('numeric strings: spec.replicas on a Deployment only; asNumber reads "3" but not "3 pods" or "e2-small"', () => {
    expect(isNumericString(shapeOf('kubernetes_deployment'), 'spec.replicas')).toBe(true);
    expect(isNumericString(shapeOf('aws_ecs_service'), 'desired_count')).toBe(false);
    expect(asNumber('3')).toBe(3);
    expect(asNumber(' 3 ')).toBe(3);
    expect(asNumber(4)).toBe(4);
    for (const bad of ['3 pods', 'e2-small', '', true, null, Number.NaN]) expect(asNumber(bad)).toBeUndefined();
  });

  it('readPath looks through one-element lists and never into prototypes', () => {
    expect(readPath(F.deployment('2').attributes, 'spec.replicas')).toBe('2');
    expect(readPath(F.poolAutoscaled(5).attributes, 'autoscaling.max_node_count')).toBe(5);
    expect(readPath(F.poolFixed().attributes, 'autoscaling.max_node_count')).toBeUndefined();
    expect(readPath({}, 'constructor')).toBeUndefined();
  });

  it('ignore_changes covers the path itself, a parent, all, and the [0]-indexed spelling', () => {
    expect(ignoresChange(['desired_capacity'], 'desired_capacity')).toBe(true);
    expect(ignoresChange(['autoscaling'], 'autoscaling.max_node_count')).toBe(true);
    expect(ignoresChange(['all'], 'node_count')).toBe(true);
    expect(ignoreRuleFor(['tags', 'spec[0].replicas'], 'spec.replicas')).toBe('spec[0].replicas');
    expect(ignoresChange(['desired_capacity'], 'max_size')).toBe(false);
    expect(ignoresChange(['spec'], 'specification')).toBe(false);
    expect(ignoresChange([], 'node_count')).toBe(false);
  });
});
