/**
 * The registry on the real resource types: a deployment on the local cloud (real Terraform, the
 * local provider for hashicorp/google, aws and kubernetes) synced by the real service, then each
 * resource found by the labels a real exporter puts on its series (pool and cluster names,
 * `namespace`/`deployment`, the ASG and ECS service names, a node exporter's `instance="vm-a:9100"`),
 * with Prometheus' own `instance`/`job` target labels on every series as a real scrape adds them.
 * `lifecycle { ignore_changes }` is read from the files at sync and follows them when they change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/alerts/collapse.js';
import { pickResourceKey } from '../../src/alerts/normalise.js';
import { startOnLocalCloud, type LocalCloudHarness } from '../helpers/local-cloud-service.js';

const MAIN_TF = `terraform {
  required_providers {
    google     = { source = "hashicorp/google" }
    aws        = { source = "hashicorp/aws" }
    kubernetes = { source = "hashicorp/kubernetes" }
  }
}
provider "google" {
  project = "demo-project"
  region  = "europe-west1"
  zone    = "europe-west1-b"
}
provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}
provider "kubernetes" {
  host = "https://127.0.0.1:6443"
}
resource "google_container_cluster" "main" {
  name                = "web"
  location            = "europe-west1"
  initial_node_count  = 1
  deletion_protection = false
  master_auth {
    client_certificate_config { issue_client_certificate = true }
  }
}
resource "google_container_node_pool" "pool" {
  name       = "default-pool"
  cluster    = google_container_cluster.main.name
  location   = "europe-west1"
  node_count = 2
  lifecycle {
    ignore_changes = [node_config[0].labels]
  }
}
resource "google_compute_instance" "vm" {
  name         = "vm-a"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
  boot_disk {
    initialize_params { image = "debian-cloud/debian-12" }
  }
  network_interface {
    network = "default"
  }
}
resource "aws_launch_template" "web" {
  name          = "web"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.small"
}
resource "aws_autoscaling_group" "web" {
  name             = "web-asg"
  min_size         = 1
  max_size         = 4
  desired_capacity = 2
  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}
resource "aws_ecs_service" "api" {
  name          = "api"
  cluster       = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
  desired_count = 2
}
resource "aws_instance" "bastion" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  tags = {
    Name = "bastion-1"
  }
}
resource "kubernetes_deployment" "frontend" {
  metadata {
    name      = "frontend"
    namespace = "shop"
  }
  spec {
    replicas = 3
    selector {
      match_labels = { app = "frontend" }
    }
    template {
      metadata {
        labels = { app = "frontend" }
      }
      spec {
        container {
          name  = "web"
          image = "nginx:1.27"
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [spec[0].template[0].metadata[0].annotations]
  }
}
`;

/** The scrape target's labels Prometheus adds to every series of the local cloud's exporter. */
const TARGET = { instance: '127.0.0.1:9464', job: 'localcloud' };

describe('registry: real resource types on the local cloud', () => {
  let h: LocalCloudHarness;
  beforeAll(async () => {
    h = await startOnLocalCloud({ shop: { 'main.tf': MAIN_TF } });
  }, 180_000);
  afterAll(async () => h?.stop());

  const find = (labels: Record<string, string>) => {
    const order = h.service.config.env.RESOURCE_LABELS;
    return resolveResource(h.service.registry, pickResourceKey(labels, order), order);
  };

  it.each([
    [
      'node pool (cluster, pool)',
      { ...TARGET, cluster: 'web', pool: 'default-pool', location: 'europe-west1' },
      'google_container_node_pool.pool',
    ],
    ['node pool (pool only)', { ...TARGET, pool: 'default-pool' }, 'google_container_node_pool.pool'],
    [
      'Deployment (namespace, deployment)',
      { ...TARGET, namespace: 'shop', deployment: 'frontend' },
      'kubernetes_deployment.frontend',
    ],
    ['ASG', { ...TARGET, autoscaling_group: 'web-asg' }, 'aws_autoscaling_group.web'],
    ['ECS service (cluster, service)', { ...TARGET, cluster: 'prod', service: 'api' }, 'aws_ecs_service.api'],
    ['GCE instance (node exporter)', { instance: 'vm-a:9100', job: 'node' }, 'google_compute_instance.vm'],
    [
      'EC2 instance by its Name tag (node exporter)',
      { instance: 'bastion-1:9100', job: 'node' },
      'aws_instance.bastion',
    ],
  ])('finds the %s', (_what, labels, address) => {
    expect(h.service.startupSync.map((r) => [r.runId, r.outcome])).toEqual([['shop', 'changed']]);
    expect(find(labels)).toMatchObject({ status: 'matched', runId: 'shop', resourceAddress: address });
  });

  it('the GCE instance is also found by the address its node exporter is scraped on', () => {
    const vm = h.service.registry.get('shop', 'google_compute_instance.vm')!;
    const ip = (vm.attributes['network_interface'] as Array<{ network_ip: string }>)[0]!.network_ip;
    expect(ip).toMatch(/^10\./);
    expect(find({ instance: `${ip}:9100`, job: 'node' })).toMatchObject({
      status: 'matched',
      resourceAddress: 'google_compute_instance.vm',
    });
  });

  it('returns ignore_changes per block after the sync (REST too), [] for blocks without one', async () => {
    const ignored = (address: string) => h.service.registry.get('shop', address)?.ignoredChanges;
    expect(ignored('aws_autoscaling_group.web')).toEqual(['desired_capacity']);
    expect(ignored('kubernetes_deployment.frontend')).toEqual(['spec.template.metadata.annotations']);
    expect(ignored('google_container_node_pool.pool')).toEqual(['node_config.labels']);
    expect(ignored('aws_ecs_service.api')).toEqual([]);
    const r = await h.service.app.inject({ method: 'GET', url: '/ops/resources?q=web-asg' });
    expect(r.statusCode).toBe(200);
    const items = (r.json() as { items: Array<{ address: string; ignored_changes: string[] | null }> }).items;
    expect(items.find((i) => i.address === 'aws_autoscaling_group.web')?.ignored_changes).toEqual(['desired_capacity']);
  });

  it('re-syncing unchanged files and state changes nothing; editing ignore_changes in the file updates the block', async () => {
    expect(await h.service.registrySync.syncOne('shop')).toMatchObject({ outcome: 'unchanged' });
    const file = path.join(h.runDir('shop'), 'main.tf');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'ignore_changes = [desired_capacity]',
        'ignore_changes = [desired_capacity, max_size]',
      ),
    );
    const report = await h.service.registrySync.syncOne('shop');
    expect(report).toMatchObject({ outcome: 'changed', counts: { updated: 1, added: 0, gone: 0 } });
    expect(h.service.registry.get('shop', 'aws_autoscaling_group.web')?.ignoredChanges).toEqual([
      'desired_capacity',
      'max_size',
    ]);
    const found = find({ ...TARGET, autoscaling_group: 'web-asg' });
    expect(found.status).toBe('matched');
    expect(await h.service.registrySync.syncOne('shop')).toMatchObject({ outcome: 'unchanged' });
  });
});
