/**
 * hashicorp/aws (stand-in for 5.x): aws_autoscaling_group, aws_launch_template, aws_instance,
 * aws_ecs_service, aws_iam_access_key — curated subsets of the real schemas. Real apply-time
 * errors: an ASG whose desired_capacity lies outside min_size..max_size.
 */
import { randomUUID } from 'node:crypto';
import {
  bool,
  C,
  type Diagnostic,
  list,
  num,
  O,
  OC,
  type ProviderDefinition,
  R,
  type ResourceContext,
  type ResourceType,
  set,
  str,
  strList,
  strMap,
  strSet,
  timeouts,
} from './schema.js';
import { equalValues, isMap, Unknown, UNKNOWN, type Value, type ValueMap } from './values.js';

const ACCOUNT = '123456789012';

function known(v: Value | undefined): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function setIfUnknown(values: ValueMap, key: string, v: Value): void {
  if (values[key] instanceof Unknown || values[key] === null || values[key] === undefined) values[key] = v;
}
function first(v: Value | undefined): ValueMap | null {
  return Array.isArray(v) && isMap(v[0]) ? v[0] : null;
}
function region(ctx: ResourceContext): string {
  return known(ctx.provider['region']) ?? 'us-east-1';
}
function tagsAll(planned: ValueMap, ctx: ResourceContext): ValueMap {
  const defaults = first(ctx.provider['default_tags'])?.['tags'];
  return { ...(isMap(defaults) ? defaults : {}), ...(isMap(planned['tags']) ? planned['tags'] : {}) };
}
/** How the aws provider words an AWS API error (SDK v2). */
function apiError(
  verb: string,
  what: string,
  operation: string,
  service: string,
  code: string,
  message: string,
): { errors: Diagnostic[] } {
  return {
    errors: [
      {
        severity: 'ERROR',
        summary: `${verb} ${what}: operation error ${service}: ${operation}, https response error StatusCode: 400, RequestID: ${randomUUID()}, api error ${code}: ${message}`,
      },
    ],
  };
}
/** Attributes the user can change (not computed-only), compared to decide whether an update happens. */
function changed(planned: ValueMap, prior: ValueMap | null, keys: string[]): boolean {
  return prior !== null && keys.some((k) => !equalValues(planned[k] ?? null, prior[k] ?? null));
}

const launchTemplateRef = {
  attributes: { id: str(OC), name: str(OC), version: str(O) },
};

const autoscalingGroup: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      name: str({ ...OC, forceNew: true }),
      name_prefix: str({ ...OC, forceNew: true }),
      arn: str(C),
      max_size: num(R),
      min_size: num(R),
      desired_capacity: num(OC),
      desired_capacity_type: str(O),
      default_cooldown: num(OC),
      health_check_grace_period: num({ ...O, default: 300 }),
      health_check_type: str(OC),
      vpc_zone_identifier: strSet(OC),
      availability_zones: strSet(OC),
      launch_configuration: str(O),
      target_group_arns: strSet(OC),
      load_balancers: strSet(OC),
      termination_policies: strList(O),
      suspended_processes: strSet(O),
      enabled_metrics: strSet(O),
      metrics_granularity: str({ ...O, default: '1Minute' }),
      capacity_rebalance: bool(O),
      protect_from_scale_in: bool({ ...O, default: false }),
      force_delete: bool({ ...O, default: false }),
      max_instance_lifetime: num(O),
      min_elb_capacity: num(O),
      wait_for_capacity_timeout: str({ ...O, default: '10m' }),
      wait_for_elb_capacity: num(O),
      service_linked_role_arn: str(OC),
      predicted_capacity: num(C),
      ignore_failed_scaling_activities: bool({ ...O, default: false }),
    },
    blocks: {
      launch_template: list(launchTemplateRef, { maxItems: 1 }),
      tag: set({ attributes: { key: str(R), value: str(R), propagate_at_launch: bool(R) } }),
      instance_refresh: list(
        {
          attributes: { strategy: str(R), triggers: strSet(O) },
          blocks: {
            preferences: list(
              {
                attributes: {
                  min_healthy_percentage: num({ ...O, default: 90 }),
                  max_healthy_percentage: num({ ...O, default: 100 }),
                  instance_warmup: str(O),
                  skip_matching: bool({ ...O, default: false }),
                  auto_rollback: bool(O),
                  checkpoint_percentages: { type: ['list', 'number'], optional: true },
                  checkpoint_delay: str(O),
                },
              },
              { maxItems: 1 },
            ),
          },
        },
        { maxItems: 1 },
      ),
      timeouts: timeouts('delete', 'update'),
    },
  },
  version: 1,
  apply(planned, prior, ctx) {
    if (planned['name'] instanceof Unknown || planned['name'] === null) {
      const prefix = known(planned['name_prefix']);
      planned['name'] = `${prefix ?? 'terraform-'}${ctx.digits(26)}`;
    }
    setIfUnknown(planned, 'name_prefix', '');
    const name = String(planned['name']);
    const min = typeof planned['min_size'] === 'number' ? planned['min_size'] : 0;
    const max = typeof planned['max_size'] === 'number' ? planned['max_size'] : 0;
    const desired =
      typeof planned['desired_capacity'] === 'number'
        ? planned['desired_capacity']
        : prior && typeof prior['desired_capacity'] === 'number'
          ? Math.min(Math.max(prior['desired_capacity'], min), max)
          : min;
    const verb = prior ? 'updating' : 'creating';
    const op = prior ? 'UpdateAutoScalingGroup' : 'CreateAutoScalingGroup';
    if (min > max)
      return apiError(
        verb,
        `Auto Scaling Group (${name})`,
        op,
        'Auto Scaling',
        'ValidationError',
        `Max bound, ${max}, must be greater than or equal to min bound, ${min}`,
      );
    if (desired < min || desired > max)
      return apiError(
        verb,
        `Auto Scaling Group (${name})`,
        op,
        'Auto Scaling',
        'ValidationError',
        `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
      );
    planned['desired_capacity'] = desired;
    setIfUnknown(
      planned,
      'arn',
      `arn:aws:autoscaling:${region(ctx)}:${ACCOUNT}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`,
    );
    setIfUnknown(planned, 'default_cooldown', 300);
    setIfUnknown(planned, 'health_check_type', 'EC2');
    setIfUnknown(planned, 'vpc_zone_identifier', []);
    setIfUnknown(planned, 'availability_zones', [`${region(ctx)}a`]);
    setIfUnknown(planned, 'target_group_arns', []);
    setIfUnknown(planned, 'load_balancers', []);
    setIfUnknown(
      planned,
      'service_linked_role_arn',
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    );
    setIfUnknown(planned, 'predicted_capacity', 0);
    const lt = first(planned['launch_template']);
    if (lt) {
      setIfUnknown(lt, 'id', `lt-0${ctx.hex(16)}`);
      setIfUnknown(lt, 'name', '');
    }
    return { id: name };
  },
};

const launchTemplate: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      arn: str(C),
      name: str({ ...OC, forceNew: true }),
      name_prefix: str({ ...OC, forceNew: true }),
      description: str(O),
      image_id: str(O),
      instance_type: str(O),
      key_name: str(O),
      user_data: str(O),
      ebs_optimized: str(O),
      vpc_security_group_ids: strSet(O),
      security_group_names: strSet(O),
      update_default_version: bool(O),
      default_version: num(OC),
      latest_version: num(C),
      tags: strMap(O),
      tags_all: strMap(OC),
    },
    blocks: {
      block_device_mappings: list({
        attributes: { device_name: str(O), no_device: str(O), virtual_name: str(O) },
        blocks: {
          ebs: list(
            {
              attributes: {
                volume_size: num(OC),
                volume_type: str(OC),
                delete_on_termination: str(O),
                encrypted: str(O),
                iops: num(OC),
              },
            },
            { maxItems: 1 },
          ),
        },
      }),
      iam_instance_profile: list({ attributes: { arn: str(O), name: str(O) } }, { maxItems: 1 }),
      monitoring: list({ attributes: { enabled: bool(O) } }, { maxItems: 1 }),
      metadata_options: list(
        {
          attributes: {
            http_endpoint: str({ ...OC, computedDefault: 'enabled' }),
            http_tokens: str({ ...OC, computedDefault: 'optional' }),
            http_put_response_hop_limit: num({ ...OC, computedDefault: 1 }),
          },
        },
        { maxItems: 1, computed: true },
      ),
      tag_specifications: list({ attributes: { resource_type: str(O), tags: strMap(O) } }),
    },
  },
  version: 1,
  plan(planned, prior) {
    // Every change to the template makes a new version (the aws provider's CustomizeDiff).
    const keys = Object.keys(planned).filter(
      (k) => !['id', 'arn', 'latest_version', 'tags_all', 'default_version'].includes(k),
    );
    if (changed(planned, prior, keys)) {
      planned['latest_version'] = UNKNOWN;
      if (planned['update_default_version'] === true) planned['default_version'] = UNKNOWN;
    }
  },
  apply(planned, prior, ctx) {
    if (planned['name'] instanceof Unknown || planned['name'] === null)
      planned['name'] = `${known(planned['name_prefix']) ?? 'terraform-'}${ctx.digits(26)}`;
    setIfUnknown(planned, 'name_prefix', '');
    const id = typeof prior?.['id'] === 'string' ? prior['id'] : `lt-0${ctx.hex(16)}`;
    const priorVersion = typeof prior?.['latest_version'] === 'number' ? prior['latest_version'] : 0;
    if (planned['latest_version'] instanceof Unknown) planned['latest_version'] = priorVersion + 1;
    if (planned['default_version'] instanceof Unknown)
      planned['default_version'] =
        prior && planned['update_default_version'] !== true
          ? (prior['default_version'] ?? null)
          : (planned['latest_version'] ?? null);
    planned['arn'] = `arn:aws:ec2:${region(ctx)}:${ACCOUNT}:launch-template/${id}`;
    planned['tags_all'] = tagsAll(planned, ctx);
    return { id };
  },
};

const instance: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      arn: str(C),
      ami: str({ ...OC, forceNew: true }),
      instance_type: str(OC),
      availability_zone: str({ ...OC, forceNew: true }),
      subnet_id: str({ ...OC, forceNew: true }),
      vpc_security_group_ids: strSet(OC),
      key_name: str({ ...OC, forceNew: true }),
      user_data: str(O),
      user_data_replace_on_change: bool({ ...O, default: false }),
      associate_public_ip_address: bool({ ...OC, forceNew: true }),
      private_ip: str({ ...OC, forceNew: true }),
      iam_instance_profile: str(O),
      monitoring: bool(OC),
      ebs_optimized: bool({ ...OC, forceNew: true }),
      disable_api_termination: bool(OC),
      disable_api_stop: bool(OC),
      get_password_data: bool({ ...O, default: false }),
      password_data: str(C),
      instance_state: str(C),
      public_ip: str(C),
      public_dns: str(C),
      private_dns: str(C),
      primary_network_interface_id: str(C),
      tags: strMap(O),
      tags_all: strMap(OC),
    },
    blocks: {
      root_block_device: list(
        {
          attributes: {
            volume_size: num(OC),
            volume_type: str(OC),
            delete_on_termination: bool({ ...O, default: true }),
            encrypted: bool({ ...OC, forceNew: true }),
            iops: num(OC),
            volume_id: str(C),
            device_name: str(C),
          },
        },
        { maxItems: 1, computed: true },
      ),
      metadata_options: list(
        {
          attributes: {
            http_endpoint: str(OC),
            http_tokens: str(OC),
            http_put_response_hop_limit: num(OC),
          },
        },
        { maxItems: 1, computed: true },
      ),
      launch_template: list(launchTemplateRef, { maxItems: 1, forceNew: true }),
      credit_specification: list({ attributes: { cpu_credits: str(O) } }, { maxItems: 1 }),
      timeouts: timeouts('create', 'read', 'update', 'delete'),
    },
  },
  version: 1,
  plan(planned, prior) {
    if (
      prior &&
      planned['user_data_replace_on_change'] === true &&
      !equalValues(planned['user_data'], prior['user_data'])
    )
      return { replace: ['user_data'] };
  },
  apply(planned, prior, ctx) {
    // instance_type changes in place: the real provider stops the instance, modifies it, starts it.
    const id = typeof prior?.['id'] === 'string' ? prior['id'] : `i-0${ctx.hex(16)}`;
    const az = known(planned['availability_zone']) ?? `${region(ctx)}a`;
    planned['availability_zone'] = az;
    setIfUnknown(planned, 'ami', 'ami-0c55b159cbfafe1f0');
    setIfUnknown(planned, 'instance_type', 't3.micro');
    setIfUnknown(planned, 'subnet_id', `subnet-0${ctx.hex(16)}`);
    setIfUnknown(planned, 'vpc_security_group_ids', [`sg-0${ctx.hex(16)}`]);
    setIfUnknown(planned, 'key_name', '');
    setIfUnknown(planned, 'associate_public_ip_address', true);
    const octets = `${10}.0.${Number.parseInt(ctx.digits(2), 10) % 250}.${Number.parseInt(ctx.digits(2), 10) % 250}`;
    setIfUnknown(planned, 'private_ip', octets);
    setIfUnknown(planned, 'monitoring', false);
    setIfUnknown(planned, 'ebs_optimized', false);
    setIfUnknown(planned, 'disable_api_termination', false);
    setIfUnknown(planned, 'disable_api_stop', false);
    setIfUnknown(planned, 'password_data', '');
    planned['instance_state'] = 'running';
    const pub = `54.${ctx.digits(2)}.${ctx.digits(2)}.${ctx.digits(2)}`;
    setIfUnknown(planned, 'public_ip', pub);
    setIfUnknown(
      planned,
      'public_dns',
      `ec2-${String(planned['public_ip']).replaceAll('.', '-')}.compute-1.amazonaws.com`,
    );
    setIfUnknown(planned, 'private_dns', `ip-${String(planned['private_ip']).replaceAll('.', '-')}.ec2.internal`);
    setIfUnknown(planned, 'primary_network_interface_id', `eni-0${ctx.hex(16)}`);
    planned['arn'] = `arn:aws:ec2:${region(ctx)}:${ACCOUNT}:instance/${id}`;
    planned['tags_all'] = tagsAll(planned, ctx);
    const root = first(planned['root_block_device']);
    if (root) {
      setIfUnknown(root, 'volume_size', 8);
      setIfUnknown(root, 'volume_type', 'gp3');
      setIfUnknown(root, 'encrypted', false);
      setIfUnknown(root, 'iops', 3000);
      setIfUnknown(root, 'volume_id', `vol-0${ctx.hex(16)}`);
      setIfUnknown(root, 'device_name', '/dev/xvda');
    }
    const md = first(planned['metadata_options']);
    if (md) {
      setIfUnknown(md, 'http_endpoint', 'enabled');
      setIfUnknown(md, 'http_tokens', 'required');
      setIfUnknown(md, 'http_put_response_hop_limit', 2);
    }
    return { id };
  },
};

const ecsService: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      name: str({ ...R, forceNew: true }),
      cluster: str({ ...OC, forceNew: true }),
      task_definition: str(O),
      desired_count: num(O),
      launch_type: str({ ...OC, forceNew: true }),
      platform_version: str(OC),
      scheduling_strategy: str({ ...O, forceNew: true, default: 'REPLICA' }),
      force_new_deployment: bool(O),
      triggers: strMap(OC),
      wait_for_steady_state: bool({ ...O, default: false }),
      enable_ecs_managed_tags: bool({ ...O, default: false }),
      enable_execute_command: bool({ ...O, default: false }),
      health_check_grace_period_seconds: num(O),
      iam_role: str({ ...OC, forceNew: true }),
      propagate_tags: str(O),
      deployment_maximum_percent: num({ ...O, default: 200 }),
      deployment_minimum_healthy_percent: num({ ...O, default: 100 }),
      tags: strMap(O),
      tags_all: strMap(OC),
    },
    blocks: {
      network_configuration: list(
        {
          attributes: {
            subnets: strSet(R),
            security_groups: strSet(O),
            assign_public_ip: bool({ ...O, default: false }),
          },
        },
        { maxItems: 1 },
      ),
      load_balancer: set({
        attributes: { target_group_arn: str(O), elb_name: str(O), container_name: str(R), container_port: num(R) },
      }),
      deployment_circuit_breaker: list({ attributes: { enable: bool(R), rollback: bool(R) } }, { maxItems: 1 }),
      capacity_provider_strategy: set({ attributes: { capacity_provider: str(R), weight: num(O), base: num(O) } }),
      timeouts: timeouts('create', 'update', 'delete'),
    },
  },
  version: 1,
  apply(planned, prior, ctx) {
    const clusterRef = known(planned['cluster']) ?? 'default';
    const clusterName = clusterRef.split('/').pop() ?? clusterRef;
    // The real provider saves the cluster "in the same format" it was given (name or ARN).
    planned['cluster'] = clusterRef;
    setIfUnknown(planned, 'launch_type', 'FARGATE');
    setIfUnknown(planned, 'platform_version', planned['launch_type'] === 'FARGATE' ? 'LATEST' : '');
    setIfUnknown(planned, 'iam_role', '');
    setIfUnknown(planned, 'triggers', {});
    if (planned['desired_count'] === null) planned['desired_count'] = 0;
    planned['tags_all'] = tagsAll(planned, ctx);
    void prior;
    return { id: `arn:aws:ecs:${region(ctx)}:${ACCOUNT}:service/${clusterName}/${String(planned['name'])}` };
  },
};

/** Here for its real sensitive attributes (`secret`, `ses_smtp_password_v4`): none of the types above has one. */
const iamAccessKey: ResourceType = {
  schema: {
    attributes: {
      id: str(OC),
      user: str({ ...R, forceNew: true }),
      pgp_key: str({ ...O, forceNew: true }),
      status: str({ ...O, default: 'Active' }),
      create_date: str(C),
      secret: str({ ...C, sensitive: true }),
      ses_smtp_password_v4: str({ ...C, sensitive: true }),
      encrypted_secret: str(C),
      encrypted_ses_smtp_password_v4: str(C),
      key_fingerprint: str(C),
    },
  },
  apply(planned, prior, ctx) {
    const id = typeof prior?.['id'] === 'string' ? prior['id'] : `AKIA${ctx.hex(16).toUpperCase()}`;
    setIfUnknown(planned, 'create_date', new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    setIfUnknown(planned, 'secret', Buffer.from(ctx.hex(30)).toString('base64').slice(0, 40));
    setIfUnknown(planned, 'ses_smtp_password_v4', Buffer.from(ctx.hex(33)).toString('base64').slice(0, 44));
    setIfUnknown(planned, 'encrypted_secret', '');
    setIfUnknown(planned, 'encrypted_ses_smtp_password_v4', '');
    setIfUnknown(planned, 'key_fingerprint', '');
    return { id };
  },
};

export const aws: ProviderDefinition = {
  name: 'aws',
  schema: {
    attributes: {
      region: str(O),
      profile: str(O),
      // The real provider does not mark these sensitive either.
      access_key: str(O),
      secret_key: str(O),
      token: str(O),
      shared_config_files: strList(O),
      shared_credentials_files: strList(O),
      skip_credentials_validation: bool(O),
      skip_metadata_api_check: str(O),
      skip_region_validation: bool(O),
      skip_requesting_account_id: bool(O),
      max_retries: num(O),
      insecure: bool(O),
      allowed_account_ids: strSet(O),
      forbidden_account_ids: strSet(O),
    },
    blocks: {
      default_tags: list({ attributes: { tags: strMap(O) } }, { maxItems: 1 }),
      ignore_tags: list({ attributes: { keys: strSet(O), key_prefixes: strSet(O) } }, { maxItems: 1 }),
      assume_role: list(
        { attributes: { role_arn: str(O), session_name: str(O), external_id: str(O), duration: str(O) } },
        { maxItems: 1 },
      ),
      endpoints: list({ attributes: { autoscaling: str(O), ec2: str(O), ecs: str(O), iam: str(O), sts: str(O) } }),
    },
  },
  resources: {
    aws_autoscaling_group: autoscalingGroup,
    aws_launch_template: launchTemplate,
    aws_instance: instance,
    aws_ecs_service: ecsService,
    aws_iam_access_key: iamAccessKey,
  },
};
