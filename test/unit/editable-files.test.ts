import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEditableFiles } from '../../src/executor/source-files.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

describe('readEditableFiles: the FileSet the editor gets', () => {
  it('adds local modules outside the run dir, nested ones too, keyed relative to the run dir', () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'editable-'));
    const run = path.join(root, 'deployments', 'prod');
    write(path.join(run, 'main.tf'), 'module "pool" {\n  source = "../../modules/pool"\n}\n');
    write(path.join(run, 'prod.tfvars'), 'size = 3\n');
    write(path.join(root, 'modules/pool/main.tf'), 'module "disk" {\n  source = "../disk"\n}\n');
    write(path.join(root, 'modules/disk/main.tf'), 'resource "terraform_data" "d" {}\n');
    write(path.join(root, 'modules/unused/main.tf'), 'resource "terraform_data" "u" {}\n');
    const files = readEditableFiles(run);
    expect(Object.keys(files).sort()).toEqual([
      '../../modules/disk/main.tf',
      '../../modules/pool/main.tf',
      'main.tf',
      'prod.tfvars',
    ]);
    expect(files['../../modules/disk/main.tf']).toBe('resource "terraform_data" "d" {}\n');
  });
});
