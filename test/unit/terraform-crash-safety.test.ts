import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleLockNote } from '../../src/executor/stale-lock.js';
import { dieWithParentPrefix } from '../../src/terraform/die-with-parent.js';

describe('crash safety helpers', () => {
  it('names a lock info file Terraform left behind, with its id and the force-unlock command', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-lock-'));
    expect(staleLockNote(dir)).toBeUndefined();
    writeFileSync(path.join(dir, '.terraform.tfstate.lock.info'), JSON.stringify({ ID: 'b1e2-lock', Operation: 'OperationTypeApply' }));
    expect(staleLockNote(dir)).toContain('terraform force-unlock b1e2-lock');
  });

  it('ties terraform to the service on Linux (one SIGINT via a single-threaded hop), nowhere else', () => {
    const prefix = dieWithParentPrefix('terraform', 'linux');
    expect(prefix.join(' ')).toMatch(/setpriv --pdeathsig SIGKILL -- \S*timeout 0 \S*setpriv --pdeathsig SIGINT --$/);
    expect(dieWithParentPrefix('terraform', 'darwin')).toEqual([]);
    // An unknown binary is spawned plainly so ENOENT still reports ERR_TERRAFORM_MISSING.
    expect(dieWithParentPrefix('/nonexistent/terraform', 'linux')).toEqual([]);
  });
});
