/**
 * The guard and Terraform must read a configuration the same way. For each tricky way of writing
 * a call (comments, escapes, heredoc markers, template directives, JSON escapes), real Terraform
 * evaluates it with `terraform console`; the probe is `abspath(".")`, a filesystem function that
 * is harmless here and shows in the result (the scratch dir's path). Whenever Terraform ran the
 * call, the guard must have refused the file. For hidden blocks, `terraform graph` is the judge:
 * every resource Terraform sees, the guard sees or refuses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigGuard } from '../../src/infra/config-guard.js';
import { parseGraph } from '../../src/infra/terraform-reading.js';

const guard = new ConfigGuard();
const env = { TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'infraai-diff-'));
  dirs.push(dir);
  for (const [n, t] of Object.entries(files)) writeFileSync(path.join(dir, n), t);
  return dir;
}

/** True when Terraform evaluated the probe call while computing `expr`. */
async function terraformRanProbe(files: Record<string, string>, expr: string): Promise<boolean> {
  const dir = scratch(files);
  const r = await execa('terraform', ['console'], { cwd: dir, env, input: `${expr}\n`, reject: false });
  return r.stdout.includes(path.basename(dir));
}

const P = 'abspath(".")';
const PQ = 'abspath(\\".\\")';
const local = (v: string) => ({ 'main.tf': `locals {\n  v = ${v}\n}\n` });
const NATIVE: Array<[string, Record<string, string>, string?]> = [
  ['a plain call', local(P)],
  ['a block comment before (', local('abspath/**/(".")')],
  ['a block comment with a newline before (', local('abspath/*\n*/(".")')],
  ['a # comment and newline before (', local('abspath #c\n(".")')],
  ['a newline after (', local('abspath(\n".")')],
  ['an interpolation', local(`"\${${P}}"`)],
  ['strip markers', local(`"\${~ ${P} ~}"`)],
  ['an escaped interpolation', local(`"$\${${PQ}}"`)],
  ['three dollars', local(`"$$\${${PQ}}"`)],
  ['four dollars', local(`"$$$\${${PQ}}"`)],
  ['a \\u0024 escape', local(`"\\u0024{${PQ}}"`)],
  ['an escaped brace', local(`"$\\u007b${PQ}}"`)],
  ['a closing brace in a string first', local(`"\${"}"}\${${P}}"`)],
  ['a directive', local(`"%{ if true }\${${P}}%{ endif }"`)],
  ['an escaped directive', local(`"%%{ if true }\${${P}}%%{ endif }"`)],
  ['a for directive', local(`"%{ for x in [1] }\${${P}}%{ endfor }"`)],
  ['a heredoc', local(`<<EOT\n\${${P}}\nEOT`)],
  ['an indented heredoc', local(`<<-EOT\n  \${${P}}\n  EOT`)],
  ['a heredoc whose marker is indented', local(`<<EOT\nx\n  EOT\n  w = ${P}`), 'local.w'],
  ['a heredoc marker with trailing space', local(`<<EOT\nx\nEOT \n\${${P}}\nEOT`)],
  ['a heredoc marker indented by a tab', local(`<<EOT\nx\n\tEOT\n  w = "\${${P}}"`), 'local.w'],
  ['a heredoc marker indented by NBSP', local(`<<EOT\nx\n\u00a0EOT\n\${${P}}\nEOT`)],
  ['a heredoc marker with a CR', local(`<<EOT\nx\nEOT\r\n\${${P}}\nEOT`)],
  ['a longer marker line', local(`<<EOT\nEOTX \${${P}}\nEOT`)],
  ['a heredoc in CRLF', { 'main.tf': `locals {\r\n  v = <<EOT\r\n\${${P}}\r\nEOT\r\n}\r\n` }],
  ['a comment ending at CR', { 'main.tf': `locals {\n  # note\r  v = ${P}\n}\n` }],
  ['a comment ending at U+2028', { 'main.tf': `locals {\n  # note\u2028  v = ${P}\n}\n` }],
  ['a block comment closed inside a string', { 'main.tf': `locals {\n  u = "*/"\n  v = /* "${P}" */ ${P}\n}\n` }],
  ['NBSP before (', local('abspath\u00a0(".")')],
  ['a call in a conditional', local(`true ? ${P} : ""`)],
  ['a call in an index', local(`["a"][length(${P}) > 0 ? 0 : 0] == "a" ? ${P} : ""`)],
];

const JSONV: Array<[string, string, string]> = [
  ['a template string', `{"locals":{"v":"\${${PQ}}"}}`, 'local.v'],
  ['an escaped template', `{"locals":{"v":"$\${${PQ}}"}}`, 'local.v'],
  ['a \\u0024 JSON escape', `{"locals":{"v":"\\u0024{${PQ}}"}}`, 'local.v'],
  ['a \\u007b JSON escape', `{"locals":{"v":"$\\u007b${PQ}}"}}`, 'local.v'],
  ['an object key', `{"locals":{"v":{"\${${PQ}}":1}}}`, 'local.v'],
  ['a repeated locals key', `{"locals":{"v":"a"},"locals":{"w":"\${${PQ}}"}}`, 'local.w'],
  ['an escaped repeated key', `{"locals":{"v":"a"},"\\u006cocals":{"w":"\${${PQ}}"}}`, 'local.w'],
  ['a comment key', `{"locals":{"//":"\${${PQ}}","v":1}}`, 'local.v'],
  ['a directive', `{"locals":{"v":"%{ if true }\${${PQ}}%{ endif }"}}`, 'local.v'],
  ['a heredoc-like newline', `{"locals":{"v":"x\\nEOT\\n\${${PQ}}"}}`, 'local.v'],
];

describe('the guard refuses whatever Terraform would run (differential against real terraform console)', () => {
  const evaluated: string[] = [];
  it.each(NATIVE)('native: %s', async (name, files, expr = 'local.v') => {
    const [ran, verdict] = await Promise.all([terraformRanProbe(files, expr), guard.check(files)]);
    if (ran) evaluated.push(name);
    expect(ran && verdict.ok, `Terraform ran the call but the guard accepted: ${JSON.stringify(files)}`).toBe(false);
  });
  it.each(JSONV)('JSON: %s', async (name, text, expr) => {
    const files = { 'main.tf.json': text };
    const [ran, verdict] = await Promise.all([terraformRanProbe(files, expr), guard.check(files)]);
    if (ran) evaluated.push(name);
    expect(ran && verdict.ok, `Terraform ran the call but the guard accepted: ${text}`).toBe(false);
  });
  it('the probe is real: Terraform did run it in most variants', () => {
    expect(evaluated.length).toBeGreaterThan(15);
  });
});

/** Resource addresses in `terraform graph -type=plan` (undefined when Terraform refused the files). */
async function terraformResources(files: Record<string, string>): Promise<string[] | undefined> {
  const dir = scratch(files);
  const r = await execa('terraform', ['graph', '-type=plan'], { cwd: dir, env, reject: false });
  return r.exitCode === 0 ? parseGraph(r.stdout).resources : undefined;
}

const HIDDEN = 'resource "terraform_data" "hidden" {\n  input = "x"\n}\n';
const STRUCTURE: Array<[string, Record<string, string>]> = [
  ['after a heredoc with an indented marker', { 'main.tf': `locals {\n  v = <<EOT\nx\n  EOT\n}\n${HIDDEN}` }],
  [
    'between an NBSP-indented marker and the real one',
    { 'main.tf': `locals {\n  v = <<EOT\nx\n\u00a0EOT\n}\n${HIDDEN}EOT\n}\n` },
  ],
  [
    'between a marker with trailing text and the real one',
    { 'main.tf': `locals {\n  v = <<EOT\nx\nEOT # c\n}\n${HIDDEN}EOT\n}\n` },
  ],
  ['after a comment ended by CR', { 'main.tf': `# note\r${HIDDEN}` }],
  ['after a comment ended by U+2028', { 'main.tf': `# note\u2028${HIDDEN}` }],
  ['inside a nested block comment', { 'main.tf': `/* a /* b */\n${HIDDEN}/* */\n` }],
  [
    'in a repeated JSON key',
    { 'main.tf.json': '{"resource":{"terraform_data":{"shown":{}}},"resource":{"terraform_data":{"hidden":{}}}}' },
  ],
  [
    'in a repeated, escaped JSON key',
    {
      'main.tf.json': '{"resource":{"terraform_data":{"shown":{}}},"\\u0072esource":{"terraform_data":{"hidden":{}}}}',
    },
  ],
  [
    'in a repeated JSON label key',
    { 'main.tf.json': '{"resource":{"terraform_data":{"shown":{}},"terraform_data":{"hidden":{}}}}' },
  ],
  [
    'in an override file',
    {
      'main.tf': 'resource "terraform_data" "hidden" {}\n',
      'override.tf': 'resource "terraform_data" "hidden" {\n  input = "o"\n}\n',
    },
  ],
];

describe('every resource Terraform loads, the guard sees or refuses (differential against terraform graph)', () => {
  it.each(STRUCTURE)('%s', async (_name, files) => {
    const [tf, verdict] = await Promise.all([terraformResources(files), guard.check(files)]);
    // Either side refusing the files is safe; both accepting them means both must read the same resources.
    const seenByGuard = verdict.ok ? verdict.view.resources : 'refused';
    expect(tf === undefined || seenByGuard === 'refused' ? 'safe' : seenByGuard).toEqual(
      tf === undefined || seenByGuard === 'refused' ? 'safe' : tf,
    );
  });
});
