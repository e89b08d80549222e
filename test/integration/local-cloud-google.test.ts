/**
 * The local cloud's google provider through real Terraform: offline init from the mirror, then a
 * node pool and its cluster through create → in-place update → ForceNew replacement → `-replace`
 * → drift → deleted out of band → destroy, with the plan JSON a reviewer would read; a compute
 * instance's whole life and the real apply error of a machine_type change without
 * allow_stopping_for_update.
 */
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLifecycle } from '../helpers/local-cloud-lifecycle.js';
import { GOOGLE_PROVIDER, type LocalCloud, planJson, withLocalCloud } from '../helpers/local-cloud.js';

function pool(nodeCount: number, machineType: string, name = 'web'): string {
  return `${GOOGLE_PROVIDER}
resource "google_container_cluster" "primary" {
  name                     = "prod"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
  master_auth {
    client_certificate_config { issue_client_certificate = true }
  }
}
resource "google_container_node_pool" "web" {
  name       = "${name}"
  cluster    = google_container_cluster.primary.name
  location   = "europe-west1"
  node_count = ${nodeCount}
  node_config {
    machine_type = "${machineType}"
    labels       = { team = "web" }
  }
}
`;
}

function change(plan: any, address: string): any {
  const rc = plan.resource_changes.find((r: any) => r.address === address);
  if (!rc) throw new Error(`no resource change for ${address}`);
  return rc;
}

const POOL = 'google_container_node_pool.web';
const POOL_ID = 'projects/demo-project/locations/europe-west1/clusters/prod/nodePools/web';

describe('local cloud: google_container_node_pool and google_container_cluster', { timeout: 180_000 }, () => {
  let cloud: LocalCloud;
  beforeAll(() => {
    cloud = withLocalCloud();
  });
  afterAll(() => cloud.cleanup());

  it('inits offline from the filesystem mirror and creates the cluster and pool', async () => {
    cloud.write({ 'main.tf': pool(2, 'e2-standard-4') });
    const init = await cloud.tf(['init']);
    expect(init.stderr).toBe('');
    expect(init.stdout).toContain('Installing hashicorp/google v6.99.0');
    const plan = await cloud.tf(['plan', '-out=tfplan']);
    expect(plan.code).toBe(0);
    const pj = await planJson(cloud);
    const created = change(pj, POOL).change;
    expect(created.actions).toEqual(['create']);
    expect(created.after.node_count).toBe(2);
    expect(created.after_unknown.id).toBe(true);
    expect(created.after_unknown.instance_group_urls).toBe(true);
    // the sensitive client key is marked sensitive in the plan (redaction is exercised)
    expect(change(pj, 'google_container_cluster.primary').change.after_sensitive.master_auth[0].client_key).toBe(true);
    const apply = await cloud.tf(['apply', 'tfplan']);
    expect(apply.code, apply.stderr).toBe(0);
    const stored = cloud.readCloudState().resources['google_container_node_pool']?.[POOL_ID];
    expect(stored?.['node_count']).toBe(2);
    expect(stored?.['autoscaling']).toEqual([]);
    expect((stored?.['node_config'] as any)[0].machine_type).toBe('e2-standard-4');
    expect((stored?.['node_config'] as any)[0].disk_size_gb).toBe(100);
    const cluster =
      cloud.readCloudState().resources['google_container_cluster']?.[
        'projects/demo-project/locations/europe-west1/clusters/prod'
      ];
    expect((cluster?.['master_auth'] as any)[0].client_key).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
    const again = await cloud.tf(['plan', '-detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('updates node_count and node_config.machine_type in place', async () => {
    cloud.write({ 'main.tf': pool(3, 'e2-standard-8') });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const c = change(await planJson(cloud), POOL);
    expect(c.change.actions).toEqual(['update']);
    expect(c.change.before.node_count).toBe(2);
    expect(c.change.after.node_count).toBe(3);
    expect((await cloud.tf(['apply', 'tfplan'])).code).toBe(0);
    const stored = cloud.readCloudState().resources['google_container_node_pool']?.[POOL_ID];
    expect(stored?.['node_count']).toBe(3);
    expect((stored?.['node_config'] as any)[0].machine_type).toBe('e2-standard-8');
  });

  it('plans a replacement when a ForceNew attribute changes, and on -replace', async () => {
    cloud.write({ 'main.tf': pool(3, 'e2-standard-8', 'web-v2') });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const c = change(await planJson(cloud), POOL);
    expect(c.change.actions).toEqual(['delete', 'create']);
    expect(c.action_reason).toBe('replace_because_cannot_update');
    expect(c.change.replace_paths).toEqual([['name']]);

    cloud.write({ 'main.tf': pool(3, 'e2-standard-8') });
    expect((await cloud.tf(['plan', '-replace', POOL, '-out=tfplan'])).code).toBe(0);
    const r = change(await planJson(cloud), POOL);
    expect(r.change.actions).toEqual(['delete', 'create']);
    expect(r.action_reason).toBe('replace_by_request');
    const before = cloud.readCloudState().resources['google_container_node_pool']?.[POOL_ID]?.['instance_group_urls'];
    expect((await cloud.tf(['apply', 'tfplan'])).code).toBe(0);
    const after = cloud.readCloudState().resources['google_container_node_pool']?.[POOL_ID]?.['instance_group_urls'];
    expect(after).not.toEqual(before); // a new pool: new instance groups
  });

  it('shows an out-of-band edit as drift, and a pool deleted out of band as a create', async () => {
    cloud.editCloudState((s) => {
      const p = s.resources['google_container_node_pool']?.[POOL_ID];
      if (p) p['node_count'] = 7;
    });
    const refresh = await cloud.tf(['plan', '-refresh-only']);
    expect(refresh.stdout).toContain('Objects have changed outside of Terraform');
    expect(refresh.stdout).toMatch(/node_count\s+= 3 -> 7/);
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const drift = change(await planJson(cloud), POOL);
    expect(drift.change.actions).toEqual(['update']);
    expect(drift.change.before.node_count).toBe(7);
    expect(drift.change.after.node_count).toBe(3);

    cloud.editCloudState((s) => {
      delete s.resources['google_container_node_pool']?.[POOL_ID];
    });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    expect(change(await planJson(cloud), POOL).change.actions).toEqual(['create']);
  });

  it('plans in a copy of the initialised directory (as the executor stages it)', async () => {
    const copy = path.join(cloud.dir, 'staging');
    mkdirSync(copy);
    cpSync(cloud.workdir, copy, { recursive: true, verbatimSymlinks: true });
    const plan = await cloud.tf(['plan', '-detailed-exitcode'], { cwd: copy });
    expect(plan.code, plan.stderr).toBe(2);
  });

  it('destroys everything, leaving the cloud empty', async () => {
    const destroy = await cloud.tf(['destroy', '-auto-approve']);
    expect(destroy.code, destroy.stderr).toBe(0);
    const s = cloud.readCloudState();
    expect(Object.keys(s.resources['google_container_cluster'] ?? {})).toEqual([]);
    expect(Object.keys(s.resources['google_container_node_pool'] ?? {})).toEqual([]);
  });
});

const gce = (v: { machineType?: string; allow?: boolean; name?: string; key?: string }) => `${GOOGLE_PROVIDER}
resource "google_compute_instance" "vm" {
  name         = "${v.name ?? 'app-1'}"
  machine_type = "${v.machineType ?? 'e2-medium'}"
  zone         = "europe-west1-b"
  labels       = { team = "app" }
  metadata     = { enable-oslogin = "TRUE" }
${v.allow === undefined ? '' : `  allow_stopping_for_update = ${v.allow}\n`}  boot_disk {
    disk_encryption_key_raw = "${v.key ?? 'c2VjcmV0LWNhbmFyeS1rZXktMzItYnl0ZXMtbG9uZyE='}"
    initialize_params {
      image = "debian-cloud/debian-12"
      size  = 20
    }
  }
  network_interface {
    network = "default"
    access_config {}
  }
}
`;

describe('local cloud: google_compute_instance', { timeout: 240_000 }, () => {
  let cloud: LocalCloud;
  afterAll(() => cloud?.cleanup());

  it('goes through its whole life', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'google_compute_instance.vm',
      create: gce({ allow: true }),
      update: gce({ allow: true, machineType: 'e2-standard-2' }),
      replace: gce({ allow: true, machineType: 'e2-standard-2', name: 'app-2' }),
      updated: [['machine_type'], 'e2-medium', 'e2-standard-2'],
      replacePaths: [['name']],
      drift: { edit: (a) => (a['labels'] = { team: 'someone-else' }), shows: /"team" = "app" -> "someone-else"/ },
    });
  });

  it('fails the apply of a machine_type change without allow_stopping_for_update (real message), succeeds with it', async () => {
    cloud.cleanup();
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': gce({}) });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    cloud.write({ 'main.tf': gce({ machineType: 'e2-standard-4' }) });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const c = (await planJson(cloud)).resource_changes[0];
    expect(c.change.actions).toEqual(['update']); // in place: the plan alone does not warn
    const failed = await cloud.tf(['apply', 'tfplan']);
    expect(failed.code).toBe(1);
    expect(failed.stderr.replace(/│\s*/g, '').replace(/\s+/g, ' ')).toContain(
      'Changing the machine_type, min_cpu_platform, service_account, enable_display, shielded_instance_config, ' +
        'scheduling.node_affinities, scheduling.max_run_duration or network_interface.[#d].(network/subnetwork/subnetwork_project) ' +
        'or advanced_machine_features on a started instance requires stopping it. To acknowledge this, please set ' +
        'allow_stopping_for_update = true in your config.',
    );
    const id = 'projects/demo-project/zones/europe-west1-b/instances/app-1';
    expect(cloud.readCloudState().resources['google_compute_instance']?.[id]?.['machine_type']).toBe('e2-medium');

    cloud.write({ 'main.tf': gce({ machineType: 'e2-standard-4', allow: true }) });
    const ok = await cloud.tf(['apply', '-auto-approve']);
    expect(ok.code, ok.stderr).toBe(0);
    const vm = cloud.readCloudState().resources['google_compute_instance']?.[id];
    expect(vm?.['machine_type']).toBe('e2-standard-4');
    expect(vm?.['current_status']).toBe('RUNNING');
  });
});
