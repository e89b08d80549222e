/**
 * The exporter reads the state the real local provider writes: every resource type applied through
 * real Terraform shows up as series labelled with its names, and an apply changes them.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type Exporter } from '../../cloud/metrics/exporter.js';
import { withLocalCloud, type LocalCloud } from '../helpers/local-cloud.js';

const config = (v: { poolNodes: number; replicas: string }) => `terraform {
  required_providers {
    google     = { source = "hashicorp/google" }
    aws        = { source = "hashicorp/aws" }
    kubernetes = { source = "hashicorp/kubernetes" }
  }
}
provider "google" {
  project = "demo-project"
  region  = "europe-west1"
}
provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}
provider "kubernetes" {
  host = "https://127.0.0.1:6443"
}

resource "google_container_cluster" "prod" {
  name                     = "prod"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}
resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = google_container_cluster.prod.id
  location   = "europe-west1"
  node_count = ${v.poolNodes}
}
resource "google_compute_instance" "vm" {
  name         = "vm-a"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
  boot_disk {}
  network_interface {}
}
resource "aws_launch_template" "api" {
  name_prefix   = "api-"
  image_id      = "ami-0abcdef1234567890"
  instance_type = "t3.small"
}
resource "aws_autoscaling_group" "api" {
  name                = "api-asg"
  min_size            = 1
  max_size            = 4
  desired_capacity    = 2
  vpc_zone_identifier = ["subnet-0aaa"]
  launch_template {
    id = aws_launch_template.api.id
  }
}
resource "aws_ecs_service" "worker" {
  name            = "worker"
  cluster         = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
  task_definition = "worker:3"
  desired_count   = 4
}
resource "aws_instance" "bastion" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  tags          = { Name = "bastion" }
}
resource "kubernetes_deployment" "frontend" {
  metadata {
    name      = "frontend"
    namespace = "shop"
  }
  spec {
    replicas = "${v.replicas}"
    selector {
      match_labels = { app = "frontend" }
    }
    template {
      metadata {
        labels = { app = "frontend" }
      }
      spec {
        container {
          name  = "frontend"
          image = "nginx:1.27"
        }
      }
    }
  }
}
`;

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('local cloud metrics from the state the local provider writes', () => {
  let cloud: LocalCloud;
  let exporter: Exporter;
  const scrape = async () => (await fetch(exporter.url)).text();
  const apply = async (v: { poolNodes: number; replicas: string }) => {
    cloud.write({ 'main.tf': config(v) });
    const r = await cloud.tf(['apply', '-auto-approve']);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    cloud = withLocalCloud();
    cloud.write({ 'load.json': JSON.stringify({ demand: { web: 1.8, 'api-asg': 3, worker: 2, frontend: 2.7 } }) });
    exporter = await startExporter({
      port: 0,
      statePath: cloud.stateFile,
      loadPath: path.join(cloud.workdir, 'load.json'),
    });
    cloud.write({ 'main.tf': config({ poolNodes: 2, replicas: '3' }) });
    const init = await cloud.tf(['init']);
    expect(init.code, init.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await exporter?.close();
    cloud?.cleanup();
  });

  it('every type applied by real Terraform becomes series named as real exporters name them', async () => {
    expect(value(await scrape(), 'localcloud_node_pool_cpu_utilization', {})).toBeUndefined();
    await apply({ poolNodes: 2, replicas: '3' });
    const text = await scrape();
    const pool = { cluster: 'prod', pool: 'web', location: 'europe-west1' };
    expect(value(text, 'localcloud_node_pool_cpu_utilization', pool)).toBeCloseTo(0.9);
    expect(value(text, 'localcloud_autoscaling_group_cpu_utilization', { autoscaling_group: 'api-asg' })).toBeCloseTo(
      1.5,
    );
    expect(value(text, 'localcloud_ecs_service_cpu_utilization', { cluster: 'prod', service: 'worker' })).toBeCloseTo(
      0.5,
    );
    expect(
      value(text, 'localcloud_deployment_cpu_utilization', { namespace: 'shop', deployment: 'frontend' }),
    ).toBeCloseTo(0.9);
    expect(value(text, 'localcloud_instance_up', { instance: 'vm-a:9100', job: 'node' })).toBe(1);
    expect(value(text, 'localcloud_instance_memory_total_bytes', { instance: 'vm-a:9100' })).toBe(2 * 1024 ** 3);
    expect(value(text, 'localcloud_instance_up', { instance: 'bastion:9100', job: 'node' })).toBe(1);
    expect(text).not.toMatch(/google_|aws_|kubernetes_/);
  }, 240_000);

  it('an apply that raises capacity lowers utilisation on the next scrape', async () => {
    await apply({ poolNodes: 3, replicas: '6' });
    const text = await scrape();
    expect(value(text, 'localcloud_node_pool_cpu_utilization', { pool: 'web' })).toBeCloseTo(0.6);
    expect(value(text, 'localcloud_deployment_replicas', { deployment: 'frontend' })).toBe(6);
    expect(value(text, 'localcloud_deployment_cpu_utilization', { deployment: 'frontend' })).toBeCloseTo(0.45);
  }, 240_000);
});
