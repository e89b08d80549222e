import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_PACKAGES, BOUNDARIES } from '../../eslint/boundaries.js';

// The repository's own eslint.config.js, run through ESLint's Node API on probe files that exist
// only as text: a boundary the config stops enforcing makes these fail, and so does `npm run lint`.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOMAIN = ['alerts', 'agent', 'policy', 'decisions', 'actions', 'verification', 'hcl', 'plan'];
const FORBIDDEN_FOLDERS = ['db/ledger/sqlite-ledger.js', 'http/app.js', 'compose/core.js'];

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** Boundary messages ESLint reports for `code` as if it were the file `file` (relative to the repo). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  expect(result, `ESLint linted ${file}`).toBeDefined();
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, `no parse error in the probe for ${file}`).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === 'boundaries/imports').map((m) => m.message);
}

describe('import boundaries (eslint.config.js)', () => {
  it('refuses a domain folder importing db/ and names the folder and the target', async () => {
    const errors = await boundaryErrors(
      'src/policy/__probe.ts',
      "import { SqliteLedger } from '../db/ledger/sqlite-ledger.js';\nexport const x = SqliteLedger;\n",
    );
    expect(errors).toEqual([expect.stringContaining('policy/ may not import "db/ledger/sqlite-ledger"')]);
  });

  for (const folder of DOMAIN) {
    it(`refuses ${folder}/ importing an adapter package or db/, http/, compose/`, async () => {
      const specs = [...ADAPTER_PACKAGES, ...FORBIDDEN_FOLDERS.map((f) => `../${f}`)];
      const code = specs.map((s, i) => `import * as m${i} from '${s}';\nexport const v${i} = m${i};\n`).join('');
      const errors = await boundaryErrors(`src/${folder}/__probe.ts`, code);
      expect(errors).toHaveLength(specs.length);
      for (const what of [
        'better-sqlite3',
        'node:child_process',
        '@google/genai',
        'db/ledger/sqlite-ledger',
        'http/app',
      ])
        expect(errors.join('\n')).toContain(`"${what}"`);
    });
  }

  it('catches every import form: type-only, dynamic import(), re-exports, bare builtin names', async () => {
    const code = [
      "import type { Ledger } from '../db/ledger/sqlite-ledger.js';",
      'export type L = Ledger;',
      "export const load = () => import('../db/connection/database.js');",
      "export { SqliteLedger } from '../db/ledger/sqlite-ledger.js';",
      "export * from '../http/app.js';",
      "import { spawn } from 'child_process';",
      'export const s = spawn;',
    ].join('\n');
    const errors = await boundaryErrors('src/alerts/__probe.ts', code);
    expect(errors).toHaveLength(5);
    expect(errors.join('\n')).toContain('"node:child_process"');
  });

  it('allows what a folder lists, so the refusals above are not the rule refusing everything', async () => {
    const code = [
      "import { AppError } from '../shared/errors.js';",
      "import type { DecisionView } from '../agent/decision-schema.js';",
      "import { z } from 'zod';",
      "import { readFileSync } from './other.js';",
      'export const all = [AppError, z, readFileSync] as const;',
      'export type D = DecisionView;',
    ].join('\n');
    expect(await boundaryErrors('src/policy/__probe.ts', code)).toEqual([]);
  });

  it('lets only the named adapter file import its technology', async () => {
    const code = "import { GoogleGenAI } from '@google/genai';\nexport const g = GoogleGenAI;\n";
    expect(await boundaryErrors('src/agent/gemini-decision-client.ts', code)).toEqual([]);
    expect(await boundaryErrors('src/agent/llm-agent.ts', code)).toHaveLength(1);
    const telegraf = "import { Telegraf } from 'telegraf';\nexport const t = Telegraf;\n";
    expect(await boundaryErrors('src/approvals/telegram-approval-channel.ts', telegraf)).toEqual([]);
    expect(await boundaryErrors('src/approvals/approval-notifier.ts', telegraf)).toHaveLength(1);
  });

  it('allows a type-only entry for types and refuses a value import of the same module', async () => {
    const typeOnly = "import type { AlertView } from '../alerts/views.js';\nexport type A = AlertView;\n";
    expect(await boundaryErrors('src/agent/__probe.ts', typeOnly)).toEqual([]);
    const value = "import * as views from '../alerts/views.js';\nexport const v = views;\n";
    expect(await boundaryErrors('src/agent/__probe.ts', value)).toHaveLength(1);
  });

  it('lets the composition root import adapters and db/, and keeps db/ away from http/', async () => {
    const code = "import { SqliteLedger } from '../db/ledger/sqlite-ledger.js';\nexport const l = SqliteLedger;\n";
    expect(await boundaryErrors('src/compose/__probe.ts', code)).toEqual([]);
    const http = "import { buildApp } from '../../http/app.js';\nexport const b = buildApp;\n";
    expect(await boundaryErrors('src/db/ledger/__probe.ts', http)).toHaveLength(1);
  });
});

/** The backticked names of a README's "May import" paragraph. */
function readmeImports(folder: string): string[] {
  const text = readFileSync(path.join(ROOT, 'src', folder, 'README.md'), 'utf8');
  const paragraph = /^May import[^\n]*(?:\n(?!\n)[^\n]*)*/m.exec(text);
  expect(paragraph, `src/${folder}/README.md has a "May import" paragraph`).not.toBeNull();
  return [...paragraph![0].matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((t) => t !== 'npm run lint');
}

describe('folder READMEs say what the linter enforces', () => {
  for (const [folder, b] of Object.entries(BOUNDARIES)) {
    it(`src/${folder}/README.md lists exactly eslint/boundaries.js's entries`, () => {
      const asDoc = (e: string) => {
        const name = e.replace(/^type:/, '');
        return name.includes('/') && !name.endsWith('/') && !name.startsWith('@') ? `${name}.ts` : name;
      };
      const adapters = Object.entries(b.adapters ?? {}).flatMap(([file, list]) => [file, ...list.map(asDoc)]);
      const expected = new Set([...b.imports.map(asDoc), ...adapters]);
      expect(new Set(readmeImports(folder))).toEqual(expected);
    });
  }
});
