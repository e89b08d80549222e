/**
 * The local cloud's kubernetes provider through real Terraform: a Deployment's whole life, with
 * spec.replicas a STRING in plan JSON and state (as with the real provider), ForceNew on
 * metadata.name/namespace and the selector, and a rollout restart as an in-place annotation change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLifecycle } from '../helpers/local-cloud-lifecycle.js';
import { KUBERNETES_PROVIDER, type LocalCloud, planJson, withLocalCloud } from '../helpers/local-cloud.js';

const deployment = (v: {
  replicas?: string;
  app?: string;
  restartedAt?: string;
  namespace?: string;
}) => `${KUBERNETES_PROVIDER}
resource "kubernetes_deployment" "web" {
  metadata {
    name      = "web"
    namespace = "${v.namespace ?? 'shop'}"
    labels    = { app = "web" }
  }
  spec {
    replicas = ${v.replicas ?? '2'}
    selector {
      match_labels = { app = "${v.app ?? 'web'}" }
    }
    template {
      metadata {
        labels      = { app = "${v.app ?? 'web'}" }
        annotations = ${v.restartedAt ? `{ "kubectl.kubernetes.io/restartedAt" = "${v.restartedAt}" }` : '{}'}
      }
      spec {
        container {
          name  = "web"
          image = "nginx:1.27"
          resources {
            limits   = { cpu = "500m", memory = "256Mi" }
            requests = { cpu = "250m" }
          }
        }
      }
    }
  }
}
`;

describe('local cloud: kubernetes_deployment', { timeout: 240_000 }, () => {
  let cloud: LocalCloud;
  afterEach(() => cloud.cleanup());

  it('goes through its whole life; spec.replicas is a string throughout', { timeout: 240_000 }, async () => {
    cloud = withLocalCloud();
    await runLifecycle(cloud, {
      address: 'kubernetes_deployment.web',
      create: deployment({}),
      update: deployment({ replicas: '3' }),
      replace: deployment({ replicas: '3', app: 'web-v2' }),
      updated: [['spec', '0', 'replicas'], '2', '3'],
      replacePaths: [['spec', 0, 'selector']],
      drift: {
        edit: (a) => (a['spec'][0]['replicas'] = '5'),
        shows: /replicas\s+= "3" -> "5"/,
      },
    });
  });

  it('keeps replicas a string in plan JSON and state, and restarts in place through a template annotation', async () => {
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': deployment({ replicas: '2' }) });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    const stored = cloud.readCloudState().resources['kubernetes_deployment']?.['shop/web'] as any;
    expect(stored.spec[0].replicas).toBe('2');
    expect(stored.metadata[0].generation).toBe(1);

    // an HCL number is converted to the schema's string type by Terraform itself
    cloud.write({ 'main.tf': deployment({ replicas: '4', restartedAt: '2026-12-02T04:00:00Z' }) });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const plan = await planJson(cloud);
    const c = plan.resource_changes.find((r: any) => r.address === 'kubernetes_deployment.web');
    expect(c.change.actions).toEqual(['update']);
    expect(c.change.before.spec[0].replicas).toBe('2');
    expect(c.change.after.spec[0].replicas).toBe('4');
    expect(c.change.after.spec[0].template[0].metadata[0].annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2026-12-02T04:00:00Z',
    });
    expect((await cloud.tf(['apply', 'tfplan'])).code).toBe(0);
    const after = cloud.readCloudState().resources['kubernetes_deployment']?.['shop/web'] as any;
    expect(after.spec[0].replicas).toBe('4');
    expect(after.metadata[0].uid).toBe(stored.metadata[0].uid); // same Deployment, rolled
    expect(after.metadata[0].generation).toBe(2);

    cloud.write({ 'main.tf': deployment({ replicas: '4', restartedAt: '2026-12-02T04:00:00Z', namespace: 'web' }) });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    const moved = (await planJson(cloud)).resource_changes[0];
    expect(moved.change.actions).toEqual(['delete', 'create']);
    expect(moved.change.replace_paths).toEqual([['metadata', 0, 'namespace']]);
  });
});
