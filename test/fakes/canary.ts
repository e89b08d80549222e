import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegistryResource } from '../../src/registry/registry-port.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import { alert } from './agent-context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The canary Terraform marked sensitive in test/fixtures/states (see its README). */
export const STATE_CANARY = 'canary-Zq9xV7pL3mK2';
export const ANNOTATION_CANARY = 'annot-canary-4hT8wQ2z';
export const COPIED_CANARY = 'copied-canary-9Lm3Xp';
export const GOOGLE_KEY_CANARY = `AIza${'Sy'.padEnd(35, 'Q')}`;

/** Resources parsed from real `terraform show -json` output with a sensitive variable in it. */
export function registryWithSensitiveState(): RegistryResource[] {
  const json = JSON.parse(readFileSync(path.join(here, '../fixtures/states/full.show.json'), 'utf8')) as unknown;
  const parsed = parseShowJson('demo', json);
  if (JSON.stringify(parsed.managed).includes(STATE_CANARY)) throw new Error('registry left the state canary in place');
  return parsed.managed.map((m) => ({ ...m, status: 'present' as const }));
}

/** Alerts whose annotations carry secrets three ways: by key, by shape, and as a copy of an attribute secret. */
export function canaryAlerts() {
  return [
    alert('HighCPUUsage', {
      value: 91,
      annotations: {
        api_key: ANNOTATION_CANARY,
        description: `CPU high; debug url uses key ${GOOGLE_KEY_CANARY}`,
        summary: `vm-1 is hot (db pass ${COPIED_CANARY} was in the runbook)`,
      },
    }),
  ];
}
