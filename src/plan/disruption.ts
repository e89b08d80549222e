/**
 * Which planned changes interrupt what runs: a replacement (delete + create, in either order, by
 * request or because an attribute cannot change in place) and an in-place update of an attribute
 * the provider applies by stopping the resource (`shape.acknowledgements`: GCE `machine_type` with
 * `allow_stopping_for_update = true`). A replacement of a group-shaped resource (node pool, ASG,
 * ECS service, Deployment) recreates every machine in it, and the sentence says so. Pure.
 */
import { shapeOf, type Acknowledgement } from '../shapes/resource-shapes.js';
import { changedLeaves, formatPath, pathUnder, valueAtConfigPath } from './diff.js';
import type { ResourceChange } from './plan-json.js';

export type DisruptionKind = 'replace' | 'stop_start';

export interface Disruption {
  kind: DisruptionKind;
  /** Present tense, for the summary: "destroys and recreates the whole node pool (every node) …". */
  warning: string;
  /** Conditional, for a refusal: "would destroy and recreate the whole node pool (every node) …". */
  would: string;
}

/** What one resource of a type is called, and what a group of that type is made of. */
const NOUNS: Readonly<Record<string, { noun: string; members?: string }>> = {
  google_container_node_pool: { noun: 'node pool', members: 'every node' },
  google_container_cluster: { noun: 'cluster', members: 'its control plane and default nodes' },
  aws_autoscaling_group: { noun: 'autoscaling group', members: 'every instance' },
  aws_ecs_service: { noun: 'ECS service', members: 'every task' },
  kubernetes_deployment: { noun: 'Deployment', members: 'every pod' },
  google_compute_instance: { noun: 'instance' },
  aws_instance: { noun: 'instance' },
};

function nounOf(type: string): { noun: string; members?: string } {
  return Object.hasOwn(NOUNS, type) ? (NOUNS[type] as { noun: string; members?: string }) : { noun: 'resource' };
}

function replaceCause(rc: ResourceChange): string {
  const paths = (rc.change.replace_paths ?? []).map((p) => formatPath(p)).filter((p) => p.length > 0);
  switch (rc.action_reason) {
    case 'replace_by_request':
      return 'on request (-replace)';
    case 'replace_because_tainted':
      return 'because it is tainted';
    case 'replace_because_cannot_update':
      return paths.length > 0
        ? `because ${paths.join(', ')} cannot change in place`
        : 'because the change cannot be made in place';
    case undefined:
      return paths.length > 0 ? `because ${paths.join(', ')} cannot change in place` : '';
    default:
      return `(${rc.action_reason})`;
  }
}

/** The acknowledged attribute this update changes with its flag set, if any. */
export function acknowledgedChange(rc: ResourceChange): { ack: Acknowledgement; flagSet: boolean } | undefined {
  const shape = shapeOf(rc.type);
  if (shape.acknowledgements.length === 0) return undefined;
  const leaves = changedLeaves(rc.change).filter((l) => !l.afterUnknown);
  for (const ack of shape.acknowledgements) {
    const path = ack.attribute.split('.');
    if (leaves.some((l) => pathUnder(l.path, path))) {
      return { ack, flagSet: valueAtConfigPath(rc.change.after, ack.flag.split('.')) === true };
    }
  }
  return undefined;
}

/** The disruption of one planned resource change, or undefined when it runs on undisturbed. */
export function disruptionOf(rc: ResourceChange): Disruption | undefined {
  const key = rc.change.actions.join(',');
  const shape = shapeOf(rc.type);
  const { noun, members } = nounOf(rc.type);
  if (key === 'delete,create' || key === 'create,delete') {
    const whole = shape.group
      ? `the whole ${noun}${members === undefined ? ' and all its machines' : ` (${members})`}`
      : `the ${noun}`;
    const cause = replaceCause(rc);
    const order = key === 'create,delete' ? '; the new one is created before the old one is destroyed' : '';
    const tail = `${cause === '' ? '' : ` ${cause}`}${order}`;
    return {
      kind: 'replace',
      warning: `destroys and recreates ${whole}${tail}`,
      would: `would destroy and recreate ${whole}${tail}`,
    };
  }
  if (key === 'update') {
    const found = acknowledgedChange(rc);
    if (found?.flagSet === true) {
      const what = `the ${noun} to change ${found.ack.attribute} (${found.ack.flag} = true)`;
      return { kind: 'stop_start', warning: `stops and starts ${what}`, would: `would stop and start ${what}` };
    }
  }
  return undefined;
}
