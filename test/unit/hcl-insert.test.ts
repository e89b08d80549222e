import { describe, expect, it } from 'vitest';
import { editHcl, HclParser, readHclValue, readIgnoreChanges } from '../../src/hcl/edit.js';
import { parseHclObject } from '../../src/hcl/verify.js';

const ANNOTATION = ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'];
const STAMP = '2026-12-02T04:00:00.000Z';

const DEPLOYMENT = `# The web Deployment (owned by the platform team)
resource "kubernetes_deployment" "web" {
  metadata {
    name = "web" # never renamed
  }

  spec {
    replicas = "2"

    template {
      metadata {
        # labels must match the selector
        labels = {
          app = "web"
        }
      }

      spec {
        container {
          name  = "web"
          image = "nginx:1.27"
        }
      }
    }
  }
}
`;

const parser = HclParser.create();

async function edit(files: Record<string, string>, path: string[], value: string | number, create = 2) {
  return editHcl(files, { address: 'kubernetes_deployment.web', attributePath: path, value, create }, await parser);
}

describe('hcl insert: a map entry that is not set yet', () => {
  it('adds the annotations map under template.metadata, keeping every existing line and comment', async () => {
    const r = await edit({ 'main.tf': DEPLOYMENT }, ANNOTATION, STAMP);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const after = r.files['main.tf'] ?? '';
    expect(after).toBe(
      DEPLOYMENT.replace(
        '          app = "web"\n        }\n',
        `          app = "web"\n        }\n        annotations = {\n          "kubectl.kubernetes.io/restartedAt" = "${STAMP}"\n        }\n`,
      ),
    );
    // The new file reads back as the value, and parses with HashiCorp's parser.
    expect((await readHclValue(r.files, 'kubernetes_deployment.web', ANNOTATION, await parser)).ok).toBe(true);
    expect(parseHclObject(after).ok).toBe(true);
  });

  it('adds an entry to an existing annotations map, and a second restart only changes the value', async () => {
    const withMap = DEPLOYMENT.replace(
      '        labels = {',
      '        annotations = {\n          "prometheus.io/scrape" = "true" # scraped\n        }\n        labels = {',
    );
    const r = await edit({ 'main.tf': withMap }, ANNOTATION, STAMP);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const after = r.files['main.tf'] ?? '';
    expect(after).toContain(
      `          "prometheus.io/scrape" = "true" # scraped\n          "kubectl.kubernetes.io/restartedAt" = "${STAMP}"\n        }`,
    );
    const again = await edit(r.files, ANNOTATION, '2026-12-02T05:00:00.000Z');
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(again.files['main.tf']).toBe(after.replace(STAMP, '2026-12-02T05:00:00.000Z'));
  });

  it('fills an empty map literal and opens an empty one-line block', async () => {
    const emptyMap = 'resource "aws_ecs_service" "api" {\n  name     = "api"\n  triggers = {}\n}\n';
    const r = await editHcl(
      { 'main.tf': emptyMap },
      { address: 'aws_ecs_service.api', attributePath: ['triggers', 'infraai_restarted_at'], value: STAMP, create: 2 },
      await parser,
    );
    expect(r.ok && r.files['main.tf']).toBe(
      `resource "aws_ecs_service" "api" {\n  name     = "api"\n  triggers = {\n    infraai_restarted_at = "${STAMP}"\n  }\n}\n`,
    );
    const emptyBlock =
      'resource "kubernetes_deployment" "web" {\n  spec {\n    template {\n      metadata {}\n    }\n  }\n}\n';
    const b = await edit({ 'main.tf': emptyBlock }, ANNOTATION, STAMP);
    expect(b.ok && b.files['main.tf']).toBe(
      `resource "kubernetes_deployment" "web" {\n  spec {\n    template {\n      metadata {\n        annotations = {\n          "kubectl.kubernetes.io/restartedAt" = "${STAMP}"\n        }\n      }\n    }\n  }\n}\n`,
    );
  });

  it('adds to a one-line map with a comma', async () => {
    const src = 'resource "aws_ecs_service" "api" {\n  triggers = { redeploy = "1" }\n}\n';
    const r = await editHcl(
      { 'main.tf': src },
      { address: 'aws_ecs_service.api', attributePath: ['triggers', 'infraai_restarted_at'], value: STAMP, create: 2 },
      await parser,
    );
    expect(r.ok && r.files['main.tf']).toBe(
      `resource "aws_ecs_service" "api" {\n  triggers = { redeploy = "1", infraai_restarted_at = "${STAMP}" }\n}\n`,
    );
  });

  it('refuses when a block above the map is missing, and without create', async () => {
    const noTemplate = 'resource "kubernetes_deployment" "web" {\n  spec {\n    replicas = "2"\n  }\n}\n';
    const r = await edit({ 'main.tf': noTemplate }, ANNOTATION, STAMP);
    expect(r).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const plain = await edit({ 'main.tf': DEPLOYMENT }, ANNOTATION, STAMP, 0);
    expect(plain).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('refuses to add under an expression that is not an object literal', async () => {
    const computed = DEPLOYMENT.replace(
      '        labels = {',
      '        annotations = local.annotations\n        labels = {',
    );
    const r = await edit({ 'main.tf': computed }, ANNOTATION, STAMP);
    expect(r).toMatchObject({ ok: false, code: 'NOT_LITERAL' });
  });
});

const DEPLOYMENT_JSON = `{
  "resource": {
    "kubernetes_deployment": {
      "web": {
        "//": "owned by the platform team",
        "metadata": { "name": "web" },
        "spec": {
          "replicas": "2",
          "template": {
            "metadata": {
              "labels": { "app": "web" }
            }
          }
        }
      }
    }
  }
}
`;

describe('hcl insert and edit in .tf.json', () => {
  it('adds the annotations map in the JSON syntax, keeping the "//" comment and layout', async () => {
    const r = await edit({ 'web.tf.json': DEPLOYMENT_JSON }, ANNOTATION, STAMP);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.files['web.tf.json']).toBe(
      DEPLOYMENT_JSON.replace(
        '"labels": { "app": "web" }',
        `"labels": { "app": "web" },\n              "annotations": {\n                "kubectl.kubernetes.io/restartedAt": "${STAMP}"\n              }`,
      ),
    );
  });

  it('edits an existing value (spec.replicas as a string) and keeps its type', async () => {
    const files = { 'web.tf.json': DEPLOYMENT_JSON };
    expect(await readHclValue(files, 'kubernetes_deployment.web', ['spec', 'replicas'], await parser)).toMatchObject({
      ok: true,
      value: '2',
    });
    const r = await edit(files, ['spec', 'replicas'], '3', 0);
    expect(r.ok && r.files['web.tf.json']).toBe(DEPLOYMENT_JSON.replace('"replicas": "2"', '"replicas": "3"'));
  });

  it('refuses a template string and a resource declared in both syntaxes', async () => {
    const tpl = DEPLOYMENT_JSON.replace('"replicas": "2"', '"replicas": "${var.replicas}"');
    expect(await edit({ 'web.tf.json': tpl }, ['spec', 'replicas'], '3', 0)).toMatchObject({
      ok: false,
      code: 'NOT_LITERAL',
    });
    expect(
      await edit({ 'web.tf.json': DEPLOYMENT_JSON, 'main.tf': DEPLOYMENT }, ['spec', 'replicas'], '3', 0),
    ).toMatchObject({
      ok: false,
      code: 'AMBIGUOUS',
    });
  });
});

describe('lifecycle ignore_changes, read from the configuration', () => {
  const ASG = `resource "aws_autoscaling_group" "web" {
  min_size         = 1
  max_size         = 6
  desired_capacity = 2

  lifecycle {
    # a target-tracking policy owns desired_capacity
    ignore_changes = [desired_capacity, tags["team"], spec[0].replicas]
  }
}
`;

  it('reads the listed paths with the file and line of the rule', async () => {
    const r = await readIgnoreChanges({ 'asg.tf': ASG }, 'aws_autoscaling_group.web', await parser);
    expect(r).toEqual({
      ok: true,
      rule: {
        file: 'asg.tf',
        line: 8,
        all: false,
        paths: [['desired_capacity'], ['tags', 'team'], ['spec', 'replicas']],
        text: '[desired_capacity, tags["team"], spec[0].replicas]',
      },
    });
  });

  it('reads `all`, no rule, and the JSON syntax', async () => {
    const all = ASG.replace('[desired_capacity, tags["team"], spec[0].replicas]', 'all');
    expect(await readIgnoreChanges({ 'asg.tf': all }, 'aws_autoscaling_group.web', await parser)).toMatchObject({
      ok: true,
      rule: { all: true, line: 8 },
    });
    const none = 'resource "aws_autoscaling_group" "web" {\n  max_size = 6\n}\n';
    expect(await readIgnoreChanges({ 'asg.tf': none }, 'aws_autoscaling_group.web', await parser)).toEqual({
      ok: true,
      rule: undefined,
    });
    const json = `{\n  "resource": {\n    "aws_autoscaling_group": {\n      "web": {\n        "max_size": 6,\n        "lifecycle": {\n          "ignore_changes": ["desired_capacity"]\n        }\n      }\n    }\n  }\n}\n`;
    expect(await readIgnoreChanges({ 'asg.tf.json': json }, 'aws_autoscaling_group.web', await parser)).toEqual({
      ok: true,
      rule: { file: 'asg.tf.json', line: 7, all: false, paths: [['desired_capacity']], text: '["desired_capacity"]' },
    });
  });
});
