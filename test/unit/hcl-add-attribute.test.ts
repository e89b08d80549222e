/**
 * Adding an attribute that is not set yet (policy.addable_attributes): the new line is where
 * `terraform fmt` and the style guide put it, checked against the real `terraform fmt` (1.11).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editHcl, HclParser } from '../../src/hcl/edit.js';

const parser = HclParser.create();
const home = mkdtempSync(path.join(tmpdir(), 'fmt-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The real `terraform fmt -` of a text. */
function fmt(text: string): string {
  return execFileSync('terraform', ['fmt', '-'], {
    input: text,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/usr/local/bin', HOME: home, TF_CLI_CONFIG_FILE: '/dev/null' },
  });
}

async function add(text: string, name: string, value: boolean | number | string = true): Promise<string> {
  const r = await editHcl(
    { 'main.tf': text },
    { address: 'google_compute_instance.vm', attributePath: [name], value, create: 1 },
    await parser,
  );
  if (!r.ok) throw new Error(r.message);
  return r.files['main.tf'] ?? '';
}

const GCE = `# The app VM
resource "google_compute_instance" "vm" {
  name         = "app-vm" # keep
  machine_type = "e2-small"
  zone         = "europe-west1-b"

  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }

  network_interface {
    network = "default"
  }
}
`;

describe('adding an attribute where terraform fmt puts it', () => {
  it('a longer name joins the aligned run before the blocks: the run is re-padded, fmt -check passes', async () => {
    const out = await add(GCE, 'allow_stopping_for_update');
    expect(out).toBe(fmt(out));
    expect(out).toContain(
      [
        '  name                      = "app-vm" # keep',
        '  machine_type              = "e2-small"',
        '  zone                      = "europe-west1-b"',
        '  allow_stopping_for_update = true',
        '',
        '  boot_disk {',
      ].join('\n'),
    );
    // Only spaces changed on the existing lines.
    expect(out.replace(/ +/g, ' ').replace(' allow_stopping_for_update = true\n', '')).toBe(GCE.replace(/ +/g, ' '));
  });

  it('a shorter name is padded to the run; nothing else moves', async () => {
    const out = await add(GCE, 'hostname', 'vm.example');
    expect(out).toBe(fmt(out));
    expect(out).toBe(GCE.replace('"europe-west1-b"\n', '"europe-west1-b"\n  hostname     = "vm.example"\n'));
  });

  it('after a multi-line attribute it stands alone; above the first block when no attribute precedes it', async () => {
    const multi = `resource "google_compute_instance" "vm" {
  name = "a"
  labels = {
    team = "web"
  }
  boot_disk {
    auto_delete = true
  }
}
`;
    const out = await add(multi, 'allow_stopping_for_update');
    expect(out).toBe(fmt(out));
    expect(out).toContain('  }\n  allow_stopping_for_update = true\n  boot_disk {');
    const blocksOnly = `resource "google_compute_instance" "vm" {
  boot_disk {
    auto_delete = true
  }
}
`;
    const first = await add(blocksOnly, 'allow_stopping_for_update');
    expect(first).toBe(fmt(first));
    expect(first).toBe(blocksOnly.replace('{\n  boot_disk', '{\n  allow_stopping_for_update = true\n  boot_disk'));
  });

  it('a run broken by a blank line or a comment: only the run it joins is aligned', async () => {
    const text = `resource "google_compute_instance" "vm" {
  name = "a"

  # sizing
  machine_type = "e2-small"
  zone         = "b"
  network_interface {
    network = "default"
  }
}
`;
    const out = await add(text, 'allow_stopping_for_update');
    expect(out).toBe(fmt(out));
    expect(out).toContain('  name = "a"\n');
    expect(out).toContain('  zone                      = "b"\n  allow_stopping_for_update = true\n  network_interface');
  });

  it('an attribute already set is not added twice', async () => {
    const set = GCE.replace('  zone ', '  allow_stopping_for_update = false\n  zone ');
    const r = await editHcl(
      { 'main.tf': set },
      { address: 'google_compute_instance.vm', attributePath: ['allow_stopping_for_update'], value: true, create: 1 },
      await parser,
    );
    // It is set: the editor changes its value instead of adding a second one.
    expect(r.ok && r.files['main.tf']?.match(/allow_stopping_for_update/g)?.length).toBe(1);
  });
});
