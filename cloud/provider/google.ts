/**
 * hashicorp/google (stand-in for 6.x): google_container_cluster, google_container_node_pool,
 * google_compute_instance — curated subsets of the real schemas (names, nesting, flags).
 */
import { createHash } from 'node:crypto';
import {
  type Block,
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
  str,
  strList,
  strMap,
  strSet,
  timeouts,
} from './schema.js';
import { equalValues, isMap, Unknown, type Value, type ValueMap } from './values.js';

const idAttr = str(OC);

function known(v: Value | undefined): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function project(planned: ValueMap, ctx: ResourceContext): string {
  const p = known(planned['project']) ?? known(ctx.provider['project']) ?? 'local-project';
  planned['project'] = p;
  return p;
}
function setIfUnknown(values: ValueMap, key: string, v: Value): void {
  if (values[key] instanceof Unknown || values[key] === null || values[key] === undefined) values[key] = v;
}
function first(v: Value | undefined): ValueMap | null {
  return Array.isArray(v) && isMap(v[0]) ? v[0] : null;
}
function err(summary: string, detail = ''): { errors: Diagnostic[] } {
  return { errors: [{ severity: 'ERROR', summary, detail }] };
}

/** `node_config` (shared by the cluster and the node pool). machine_type is in place since 5.10. */
const nodeConfig: Block = {
  attributes: {
    machine_type: str({ ...OC, computedDefault: 'e2-medium' }),
    disk_size_gb: num({ ...OC, computedDefault: 100 }),
    disk_type: str({ ...OC, computedDefault: 'pd-balanced' }),
    image_type: str({ ...OC, computedDefault: 'COS_CONTAINERD' }),
    labels: strMap({ ...OC, computedDefault: {} }),
    resource_labels: strMap(O),
    tags: strList(O),
    oauth_scopes: strSet({ ...OC, computedDefault: ['https://www.googleapis.com/auth/cloud-platform'] }),
    service_account: str({ ...OC, computedDefault: 'default' }),
    metadata: strMap({ ...OC, forceNew: true, computedDefault: { 'disable-legacy-endpoints': 'true' } }),
    preemptible: bool({ ...O, forceNew: true, default: false }),
    spot: bool({ ...O, forceNew: true, default: false }),
    local_ssd_count: num({ ...OC, forceNew: true, computedDefault: 0 }),
  },
};

const cluster: ResourceType = {
  schema: {
    attributes: {
      id: idAttr,
      name: str({ ...R, forceNew: true }),
      location: str({ ...OC, forceNew: true }),
      project: str({ ...OC, forceNew: true }),
      description: str({ ...O, forceNew: true }),
      deletion_protection: bool({ ...O, default: true }),
      initial_node_count: num(O),
      remove_default_node_pool: bool(O),
      min_master_version: str(O),
      master_version: str(C),
      node_version: str(OC),
      network: str({ ...O, forceNew: true, default: 'default' }),
      subnetwork: str({ ...OC, forceNew: true }),
      cluster_ipv4_cidr: str({ ...OC, forceNew: true }),
      enable_autopilot: bool({ ...O, forceNew: true }),
      node_locations: strSet(OC),
      resource_labels: strMap(O),
      endpoint: str(C),
      self_link: str(C),
      services_ipv4_cidr: str(C),
      label_fingerprint: str(C),
      operation: str(C),
    },
    blocks: {
      master_auth: list(
        {
          attributes: {
            client_certificate: str(C),
            client_key: str({ ...C, sensitive: true }),
            cluster_ca_certificate: str(C),
          },
          blocks: {
            client_certificate_config: list(
              { attributes: { issue_client_certificate: bool({ ...R, forceNew: true }) } },
              { minItems: 1, maxItems: 1, forceNew: true },
            ),
          },
        },
        { maxItems: 1, computed: true },
      ),
      node_config: list(nodeConfig, { maxItems: 1, computed: true }),
      release_channel: list({ attributes: { channel: str(R) } }, { maxItems: 1 }),
      timeouts: timeouts('create', 'read', 'update', 'delete'),
    },
  },
  version: 2,
  apply(planned, prior, ctx) {
    const p = project(planned, ctx);
    const location = known(planned['location']) ?? known(ctx.provider['region']) ?? known(ctx.provider['zone']);
    if (!location) return err('Cannot determine location: set in this resource, or set provider-level zone or region');
    planned['location'] = location;
    const name = String(planned['name']);
    const id = `projects/${p}/locations/${location}/clusters/${name}`;
    const version = known(planned['min_master_version']) ?? '1.31.6-gke.1020000';
    setIfUnknown(planned, 'master_version', version);
    setIfUnknown(planned, 'node_version', version);
    setIfUnknown(planned, 'endpoint', `34.${ctx.digits(2)}.${ctx.digits(2)}.${ctx.digits(2)}`);
    setIfUnknown(planned, 'self_link', `https://container.googleapis.com/v1/${id}`);
    setIfUnknown(planned, 'services_ipv4_cidr', '10.4.0.0/20');
    setIfUnknown(planned, 'cluster_ipv4_cidr', '10.0.0.0/14');
    setIfUnknown(planned, 'subnetwork', 'default');
    setIfUnknown(planned, 'label_fingerprint', ctx.hex(8));
    setIfUnknown(planned, 'operation', '');
    setIfUnknown(planned, 'node_locations', [`${location.split('-').slice(0, 2).join('-')}-a`]);
    const auth = first(planned['master_auth']);
    if (auth) {
      const issue = first(auth['client_certificate_config'])?.['issue_client_certificate'] === true;
      const b64 = (label: string) =>
        Buffer.from(`-----BEGIN ${label}-----\n${ctx.hex(48)}\n-----END ${label}-----\n`).toString('base64');
      setIfUnknown(auth, 'cluster_ca_certificate', b64('CERTIFICATE'));
      setIfUnknown(auth, 'client_certificate', issue ? b64('CERTIFICATE') : '');
      setIfUnknown(auth, 'client_key', issue ? b64('RSA PRIVATE KEY') : '');
    }
    void prior;
    return { id };
  },
  destroy(prior) {
    if (prior['deletion_protection'] !== false)
      return [
        {
          severity: 'ERROR',
          summary:
            'Cannot destroy cluster because deletion_protection is set to true. Set it to false to proceed with cluster deletion.',
        },
      ];
    return [];
  },
};

const nodePool: ResourceType = {
  schema: {
    attributes: {
      id: idAttr,
      cluster: str({ ...R, forceNew: true }),
      location: str({ ...OC, forceNew: true }),
      project: str({ ...OC, forceNew: true }),
      name: str({ ...OC, forceNew: true }),
      name_prefix: str({ ...OC, forceNew: true }),
      initial_node_count: num({ ...OC, forceNew: true }),
      node_count: num(OC),
      node_locations: strSet(OC),
      max_pods_per_node: num({ ...OC, forceNew: true, computedDefault: 110 }),
      version: str(OC),
      instance_group_urls: strList(C),
      managed_instance_group_urls: strList(C),
      operation: str(C),
    },
    blocks: {
      autoscaling: list(
        {
          attributes: {
            min_node_count: num(O),
            max_node_count: num(O),
            total_min_node_count: num(O),
            total_max_node_count: num(O),
            location_policy: str({ ...OC, computedDefault: 'BALANCED' }),
          },
        },
        { maxItems: 1 },
      ),
      management: list(
        { attributes: { auto_repair: bool({ ...O, default: true }), auto_upgrade: bool({ ...O, default: true }) } },
        { maxItems: 1, computed: true },
      ),
      upgrade_settings: list(
        {
          attributes: {
            max_surge: num({ ...OC, computedDefault: 1 }),
            max_unavailable: num({ ...OC, computedDefault: 0 }),
            strategy: str({ ...O, default: 'SURGE' }),
          },
        },
        { maxItems: 1, computed: true },
      ),
      node_config: list(nodeConfig, { maxItems: 1, computed: true }),
      timeouts: timeouts('create', 'update', 'delete'),
    },
  },
  version: 1,
  apply(planned, prior, ctx) {
    const p = project(planned, ctx);
    const location = known(planned['location']) ?? known(ctx.provider['region']) ?? known(ctx.provider['zone']);
    if (!location) return err('Cannot determine location: set in this resource, or set provider-level zone or region');
    planned['location'] = location;
    const clusterRef = String(planned['cluster']);
    const clusterName = clusterRef.includes('/') ? (clusterRef.split('/').pop() ?? clusterRef) : clusterRef;
    if (planned['name'] instanceof Unknown || planned['name'] === null) {
      const prefix = known(planned['name_prefix']);
      planned['name'] = prefix ? `${prefix}${ctx.hex(26)}` : `tf-${ctx.hex(20)}`;
    }
    setIfUnknown(planned, 'name_prefix', '');
    const name = String(planned['name']);
    const auto = first(planned['autoscaling']);
    const min = typeof auto?.['min_node_count'] === 'number' ? auto['min_node_count'] : null;
    const max = typeof auto?.['max_node_count'] === 'number' ? auto['max_node_count'] : null;
    if (auto && min !== null && max !== null && min > max)
      return err(
        `error creating NodePool: googleapi: Error 400: Autoscaling max_node_count (${max}) must be greater than or equal to min_node_count (${min}).`,
      );
    const initial = typeof planned['initial_node_count'] === 'number' ? planned['initial_node_count'] : null;
    const count = typeof planned['node_count'] === 'number' ? planned['node_count'] : null;
    const start =
      count ?? initial ?? (prior && typeof prior['node_count'] === 'number' ? prior['node_count'] : (min ?? 1));
    const size = auto ? Math.min(Math.max(start, min ?? start), max ?? start) : start;
    planned['node_count'] = size;
    setIfUnknown(planned, 'initial_node_count', initial ?? size);
    setIfUnknown(planned, 'version', '1.31.6-gke.1020000');
    setIfUnknown(planned, 'node_locations', [`${location.split('-').slice(0, 2).join('-')}-a`]);
    const group = `https://www.googleapis.com/compute/v1/projects/${p}/zones/${location}-a/instanceGroupManagers/gke-${clusterName}-${name}-${ctx.hex(8)}-grp`;
    if (
      !Array.isArray(planned['instance_group_urls']) ||
      !equalValues(planned['instance_group_urls'], prior?.['instance_group_urls'] ?? null)
    )
      setIfUnknown(planned, 'instance_group_urls', [group]);
    setIfUnknown(planned, 'managed_instance_group_urls', planned['instance_group_urls'] ?? [group]);
    setIfUnknown(planned, 'operation', '');
    return { id: `projects/${p}/locations/${location}/clusters/${clusterName}/nodePools/${name}` };
  },
};

export const MACHINE_TYPE_NEEDS_STOP =
  'Changing the machine_type, min_cpu_platform, service_account, enable_display, shielded_instance_config, ' +
  'scheduling.node_affinities, scheduling.max_run_duration or network_interface.[#d].(network/subnetwork/subnetwork_project) ' +
  'or advanced_machine_features on a started instance requires stopping it. To acknowledge this, please set ' +
  'allow_stopping_for_update = true in your config. You can also stop it by setting desired_status = "TERMINATED", ' +
  'but the instance will not be restarted after the update.';

const computeInstance: ResourceType = {
  schema: {
    attributes: {
      id: idAttr,
      name: str({ ...R, forceNew: true }),
      machine_type: str(R),
      zone: str({ ...OC, forceNew: true }),
      project: str({ ...OC, forceNew: true }),
      allow_stopping_for_update: bool(O),
      can_ip_forward: bool({ ...O, forceNew: true, default: false }),
      deletion_protection: bool({ ...O, default: false }),
      description: str(O),
      desired_status: str(O),
      hostname: str({ ...O, forceNew: true }),
      labels: strMap(O),
      metadata: strMap(O),
      metadata_startup_script: str({ ...O, forceNew: true }),
      min_cpu_platform: str(OC),
      tags: strSet(O),
      cpu_platform: str(C),
      current_status: str(C),
      instance_id: str(C),
      label_fingerprint: str(C),
      metadata_fingerprint: str(C),
      self_link: str(C),
      tags_fingerprint: str(C),
    },
    blocks: {
      boot_disk: list(
        {
          attributes: {
            auto_delete: bool({ ...O, forceNew: true, default: true }),
            device_name: str({ ...OC, forceNew: true, computedDefault: 'persistent-disk-0' }),
            mode: str({ ...O, forceNew: true, default: 'READ_WRITE' }),
            source: str({ ...OC, forceNew: true }),
            disk_encryption_key_raw: str({ ...O, forceNew: true, sensitive: true }),
            disk_encryption_key_sha256: str(C),
          },
          blocks: {
            initialize_params: list(
              {
                attributes: {
                  image: str({ ...OC, forceNew: true, computedDefault: 'debian-cloud/debian-12' }),
                  size: num({ ...OC, forceNew: true, computedDefault: 10 }),
                  type: str({ ...OC, forceNew: true, computedDefault: 'pd-standard' }),
                  labels: strMap({ ...OC, forceNew: true, computedDefault: {} }),
                },
              },
              { maxItems: 1, computed: true, forceNew: true },
            ),
          },
        },
        { minItems: 1, maxItems: 1, forceNew: true },
      ),
      network_interface: list(
        {
          attributes: {
            network: str({ ...OC, computedDefault: 'default' }),
            subnetwork: str(OC),
            network_ip: str(OC),
            name: str(C),
          },
          blocks: {
            access_config: list({
              attributes: { nat_ip: str(OC), network_tier: str({ ...OC, computedDefault: 'PREMIUM' }) },
            }),
          },
        },
        { minItems: 1 },
      ),
      service_account: list({ attributes: { email: str(OC), scopes: strSet(R) } }, { maxItems: 1 }),
      scheduling: list(
        {
          attributes: {
            preemptible: bool({ ...O, forceNew: true, default: false }),
            automatic_restart: bool({ ...O, default: true }),
            on_host_maintenance: str({ ...OC, computedDefault: 'MIGRATE' }),
          },
        },
        { maxItems: 1, computed: true },
      ),
      timeouts: timeouts('create', 'update', 'delete'),
    },
  },
  version: 6,
  apply(planned, prior, ctx) {
    const p = project(planned, ctx);
    const zone = known(planned['zone']) ?? known(ctx.provider['zone']);
    if (!zone) return err('Cannot determine zone: set in this resource, or set provider-level zone.');
    planned['zone'] = zone;
    const name = String(planned['name']);
    if (prior) {
      const stopNeeded =
        !equalValues(planned['machine_type'], prior['machine_type']) ||
        !equalValues(planned['min_cpu_platform'], prior['min_cpu_platform']) ||
        !equalValues(
          first(planned['service_account'])?.['email'] ?? null,
          first(prior['service_account'])?.['email'] ?? null,
        );
      const running = prior['current_status'] === 'RUNNING' || prior['current_status'] === null;
      if (
        stopNeeded &&
        running &&
        planned['desired_status'] !== 'TERMINATED' &&
        planned['allow_stopping_for_update'] !== true
      )
        return err(MACHINE_TYPE_NEEDS_STOP);
    }
    const status = planned['desired_status'] === 'TERMINATED' ? 'TERMINATED' : 'RUNNING';
    planned['current_status'] = status;
    setIfUnknown(planned, 'cpu_platform', 'Intel Broadwell');
    setIfUnknown(planned, 'min_cpu_platform', '');
    setIfUnknown(planned, 'instance_id', ctx.digits(19));
    setIfUnknown(planned, 'label_fingerprint', ctx.hex(11));
    setIfUnknown(planned, 'metadata_fingerprint', ctx.hex(11));
    setIfUnknown(planned, 'tags_fingerprint', ctx.hex(11));
    const id = `projects/${p}/zones/${zone}/instances/${name}`;
    setIfUnknown(planned, 'self_link', `https://www.googleapis.com/compute/v1/${id}`);
    const disk = first(planned['boot_disk']);
    if (disk) {
      setIfUnknown(disk, 'source', `https://www.googleapis.com/compute/v1/projects/${p}/zones/${zone}/disks/${name}`);
      const key = known(disk['disk_encryption_key_raw']);
      // As GCE reports it: RFC 4648 base64 of the SHA-256 of the (base64-decoded) key, never the key itself.
      setIfUnknown(disk, 'disk_encryption_key_sha256', key ? sha256Base64(key) : '');
    }
    const nics = Array.isArray(planned['network_interface']) ? planned['network_interface'] : [];
    nics.forEach((nic, i) => {
      if (!isMap(nic)) return;
      setIfUnknown(nic, 'name', `nic${i}`);
      setIfUnknown(nic, 'network_ip', `10.128.0.${(i + 2) % 250}`);
      setIfUnknown(nic, 'subnetwork', 'default');
      const acs = Array.isArray(nic['access_config']) ? nic['access_config'] : [];
      for (const ac of acs)
        if (isMap(ac)) setIfUnknown(ac, 'nat_ip', `34.${ctx.digits(2)}.${ctx.digits(2)}.${ctx.digits(2)}`);
    });
    return { id };
  },
};

export const google: ProviderDefinition = {
  name: 'google',
  schema: {
    attributes: {
      project: str(O),
      region: str(O),
      zone: str(O),
      // Not sensitive in the real provider either (a literal credential shows in plan JSON's configuration).
      credentials: str(O),
      access_token: str(O),
      impersonate_service_account: str(O),
      billing_project: str(O),
      user_project_override: bool(O),
      request_timeout: str(O),
      default_labels: strMap(O),
      add_terraform_attribution_label: bool(O),
    },
  },
  resources: {
    google_container_cluster: cluster,
    google_container_node_pool: nodePool,
    google_compute_instance: computeInstance,
  },
  configure(config) {
    if (known(config['credentials']) && known(config['access_token']))
      return [{ severity: 'ERROR', summary: '"credentials": conflicts with access_token' }];
    return [];
  },
};

function sha256Base64(keyBase64: string): string {
  return createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
}
