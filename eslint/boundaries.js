// @ts-check
// Who may import what, per folder of src/. Each entry mirrors that folder's README "May import" line;
// change both together. Folders not listed here (compose/, the root files main.ts and cli*.ts) are the
// composition root and the command line: they wire adapters and may import anything.
// Own-folder imports are always allowed. See import-boundaries.js for the entry syntax.

/** Pure domain code never reaches these, whatever its list says (checked by test/unit/lint-boundaries.test.ts). */
export const ADAPTER_PACKAGES = [
  'fastify',
  'better-sqlite3',
  'telegraf',
  'execa',
  '@google/genai',
  'node:child_process',
];

/** @type {Record<string, import('./import-boundaries.js').Boundary>} */
export const BOUNDARIES = {
  shared: { imports: ['type:actions/status', 'zod', 'node:crypto'], adapters: { 'pino-logger.ts': ['pino'] } },
  config: { imports: ['shared/', 'zod', 'node:path'] },
  metrics: { imports: ['shared/', 'node:fs', 'node:path', 'node:url'] },
  terraform: {
    imports: [
      'shared/',
      'plan/plan-json',
      'zod',
      'node:child_process',
      'node:crypto',
      'node:fs',
      'node:os',
      'node:path',
      'node:url',
    ],
  },
  registry: {
    imports: ['shared/', 'terraform/terraform-runner', 'type:terraform/steps', 'zod', 'node:fs', 'node:path'],
  },
  alerts: { imports: ['shared/', 'registry/registry-port', 'zod', 'node:crypto'] },
  agent: {
    imports: ['shared/', 'policy/', 'registry/registry-port', 'type:alerts/views', 'type:actions/status', 'zod'],
    adapters: { 'gemini-decision-client.ts': ['@google/genai'] },
  },
  policy: { imports: ['shared/', 'agent/decision-schema', 'zod', 'yaml'], adapters: { 'load-policy.ts': ['node:fs'] } },
  decisions: {
    imports: ['shared/', 'agent/', 'policy/', 'registry/registry-port', 'type:actions/action-store', 'zod'],
  },
  actions: {
    imports: ['shared/', 'terraform/workspace-fs', 'type:executor/source-files', 'zod', 'node:fs', 'node:path'],
  },
  plan: { imports: ['shared/', 'type:hcl/edit', 'zod'] },
  hcl: {
    imports: [
      'shared/',
      'plan/unified-diff',
      'web-tree-sitter',
      '@tree-sitter-grammars/tree-sitter-hcl',
      'hcl2-parser',
      'zod',
      'node:module',
    ],
  },
  verification: { imports: ['shared/', 'type:actions/', 'policy/'] },
  approvals: {
    imports: ['shared/', 'type:actions/', 'policy/evaluate', 'type:agent/decision-schema', 'zod', 'node:crypto'],
    adapters: {
      'telegram-approval-channel.ts': ['telegraf'],
      'telegram-updates.ts': ['telegraf'],
      'telegram-retry.ts': ['telegraf'],
      'telegram-health.ts': ['telegraf'],
      'telegram-chat-scope.ts': ['telegraf'],
    },
  },
  executor: {
    imports: [
      'shared/',
      'config/',
      'terraform/',
      'actions/',
      'plan/',
      'hcl/',
      'policy/',
      'agent/fix-client',
      'agent/decision-schema',
      'agent/attribute-paths',
      'registry/registry-port',
      'registry/run-id',
      'zod',
      'node:fs',
      'node:crypto',
      'node:path',
      'node:async_hooks',
    ],
    adapters: { 'fix-rounds.ts': ['infra/config-guard', 'infra/expression-check'] },
  },
  infra: {
    imports: [
      'shared/',
      'terraform/',
      'actions/',
      'plan/',
      'hcl/',
      'registry/run-id',
      'hcl2-parser',
      'zod',
      'node:fs',
      'node:path',
    ],
  },
  http: {
    imports: [
      'shared/',
      'config/',
      'alerts/',
      'registry/',
      'agent/decision-schema',
      'decisions/',
      'actions/',
      'approvals/ports',
      'executor/',
      'infra/',
      'metrics/',
      'type:db/decisions/sqlite-decision-view',
      'type:db/ops/sqlite-ops-queries',
      'fastify',
      '@fastify/*',
      'fastify-type-provider-zod',
      'zod',
      'node:crypto',
      'node:fs',
      'node:http',
      'node:net',
      'node:path',
      'node:url',
    ],
  },
  db: {
    imports: [
      'shared/',
      'alerts/',
      'registry/',
      'agent/',
      'decisions/',
      'actions/',
      'approvals/ports',
      'executor/',
      'infra/ports',
      'verification/',
      'better-sqlite3',
      'zod',
      'node:crypto',
      'node:fs',
      'node:module',
      'node:path',
      'node:url',
      'node:worker_threads',
    ],
  },
  dashboard: { imports: [] },
};
