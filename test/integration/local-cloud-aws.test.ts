/**
 * The local cloud's aws provider through real Terraform: each resource type's whole life
 * (create, in place, ForceNew replacement, -replace, drift, deleted out of band, destroy), and
 * the real apply-time refusal of an ASG whose desired_capacity lies outside min_size..max_size.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLifecycle } from '../helpers/local-cloud-lifecycle.js';
import { AWS_PROVIDER, type LocalCloud, withLocalCloud } from '../helpers/local-cloud.js';

const asg = (v: { name?: string; desired?: number; min?: number; max?: number }) => `${AWS_PROVIDER}
resource "aws_launch_template" "web" {
  name_prefix   = "web-"
  image_id      = "ami-0abcdef1234567890"
  instance_type = "t3.small"
}
resource "aws_autoscaling_group" "web" {
  name                = "${v.name ?? 'web'}"
  min_size            = ${v.min ?? 1}
  max_size            = ${v.max ?? 4}
  desired_capacity    = ${v.desired ?? 2}
  vpc_zone_identifier = ["subnet-0aaa", "subnet-0bbb"]
  launch_template {
    id      = aws_launch_template.web.id
    version = aws_launch_template.web.latest_version
  }
  tag {
    key                 = "Name"
    value               = "web"
    propagate_at_launch = true
  }
  instance_refresh {
    strategy = "Rolling"
    preferences { min_healthy_percentage = 50 }
  }
}
`;

const ecs = (v: { name?: string; count?: number }) => `${AWS_PROVIDER}
resource "aws_ecs_service" "api" {
  name                 = "${v.name ?? 'api'}"
  cluster              = "prod"
  task_definition      = "api:7"
  desired_count        = ${v.count ?? 2}
  force_new_deployment = true
  triggers             = { redeployment = "1" }
  network_configuration {
    subnets         = ["subnet-0aaa"]
    security_groups = ["sg-0aaa"]
  }
}
`;

const instance = (v: { ami?: string; type?: string }) => `${AWS_PROVIDER}
resource "aws_instance" "app" {
  ami           = "${v.ami ?? 'ami-0abcdef1234567890'}"
  instance_type = "${v.type ?? 't3.micro'}"
  tags          = { Name = "app" }
}
`;

const template = (v: { name?: string; type?: string }) => `${AWS_PROVIDER}
resource "aws_launch_template" "lt" {
  name          = "${v.name ?? 'app'}"
  image_id      = "ami-0abcdef1234567890"
  instance_type = "${v.type ?? 't3.small'}"
}
`;

describe('local cloud: aws resource types through their whole life', { timeout: 240_000 }, () => {
  let cloud: LocalCloud;
  afterEach(() => cloud.cleanup());

  it('aws_autoscaling_group', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'aws_autoscaling_group.web',
      create: asg({}),
      update: asg({ desired: 3 }),
      replace: asg({ name: 'web-v2', desired: 3 }),
      updated: [['desired_capacity'], 2, 3],
      replacePaths: [['name']],
      drift: { edit: (a) => (a['desired_capacity'] = 1), shows: /desired_capacity\s+= 3 -> 1/ },
    });
  });

  it('aws_ecs_service', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'aws_ecs_service.api',
      create: ecs({}),
      update: ecs({ count: 4 }),
      replace: ecs({ name: 'api-v2', count: 4 }),
      updated: [['desired_count'], 2, 4],
      replacePaths: [['name']],
      drift: { edit: (a) => (a['desired_count'] = 9), shows: /desired_count\s+= 4 -> 9/ },
    });
  });

  it('aws_instance (instance_type in place: the real provider stops and starts it)', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'aws_instance.app',
      create: instance({}),
      update: instance({ type: 't3.large' }),
      replace: instance({ ami: 'ami-0fedcba9876543210', type: 't3.large' }),
      updated: [['instance_type'], 't3.micro', 't3.large'],
      replacePaths: [['ami']],
      drift: { edit: (a) => (a['instance_type'] = 'm5.xlarge'), shows: /instance_type\s+= "t3.large" -> "m5.xlarge"/ },
    });
  });

  it('aws_launch_template (an update makes a new version)', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'aws_launch_template.lt',
      create: template({}),
      update: template({ type: 't3.medium' }),
      replace: template({ name: 'app-v2', type: 't3.medium' }),
      updated: [['instance_type'], 't3.small', 't3.medium'],
      replacePaths: [['name']],
      drift: { edit: (a) => (a['instance_type'] = 'c5.large'), shows: /instance_type\s+= "t3.medium" -> "c5.large"/ },
    });
  });

  it(
    'refuses at apply an ASG desired_capacity outside min_size..max_size, with the real error, and keeps the group',
    { timeout: 120_000 },
    async () => {
      cloud = withLocalCloud();
      cloud.write({ 'main.tf': asg({}) });
      expect((await cloud.tf(['init'])).code).toBe(0);
      expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
      cloud.write({ 'main.tf': asg({ desired: 9 }) });
      const plan = await cloud.tf(['plan']);
      expect(plan.code).toBe(0); // the plan looks harmless: 2 -> 9 in place
      expect(plan.stdout).toMatch(/desired_capacity\s+= 2 -> 9/);
      const apply = await cloud.tf(['apply', '-auto-approve']);
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain(
        'updating Auto Scaling Group (web): operation error Auto Scaling: UpdateAutoScalingGroup, https response error StatusCode: 400',
      );
      expect(apply.stderr).toContain(
        'api error ValidationError: Desired capacity:9 must be between the specified min size:1 and max size:4',
      );
      expect(cloud.readCloudState().resources['aws_autoscaling_group']?.['web']?.['desired_capacity']).toBe(2);
      // raising the bound with it is accepted
      cloud.write({ 'main.tf': asg({ desired: 9, max: 10 }) });
      expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
      expect(cloud.readCloudState().resources['aws_autoscaling_group']?.['web']?.['desired_capacity']).toBe(9);
    },
  );

  it('with ignore_changes = [desired_capacity] a capacity edit plans nothing', { timeout: 120_000 }, async () => {
    cloud = withLocalCloud();
    const ignored = (d: number) =>
      asg({ desired: d }).replace(
        '  instance_refresh {',
        '  lifecycle {\n    ignore_changes = [desired_capacity]\n  }\n  instance_refresh {',
      );
    cloud.write({ 'main.tf': ignored(2) });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    cloud.write({ 'main.tf': ignored(3) });
    const plan = await cloud.tf(['plan', '-detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });
});
