/**
 * What POST /infra refuses in submitted Terraform files, decided on the parsed configuration
 * (HashiCorp's own HCL parser via hcl2-parser; JSON.parse for *.json), never on raw text alone:
 *
 * - `provisioner "local-exec"` anywhere, and `data "external"`: both run arbitrary commands on
 *   the InfraAI host (the machine holding the database, tokens and every deployment's state).
 * - a `local` backend whose `path` / `workspace_dir` is absolute or climbs with `..`;
 * - local `module` sources (and any other path-like attribute: `path`, `filename`, `source`,
 *   `config_path`, `working_dir`, …) that are absolute or contain a `..` segment;
 * - file-reading functions (`file()`, `templatefile()`, `fileset()`, …) whose argument is
 *   absolute, starts with `~` or climbs with `..`: they would copy host files into the state.
 *
 * Pure: no I/O. Refusals are return values naming the file and the block.
 */
import hcl2 from 'hcl2-parser';

export type GuardResult = { ok: true } | { ok: false; file: string; reason: string };

const PATH_KEYS = new Set([
  'path', 'workspace_dir', 'filename', 'source', 'config_path', 'working_dir', 'source_dir', 'source_file', 'output_path',
  'output_dir', 'state', 'state_out', 'backup', 'config_context_auth_info', 'shared_credentials_file', 'credentials_file',
]);
const FILE_FUNCTIONS = /\b(file|filebase64|filemd5|filesha1|filesha256|filesha512|filebase64sha256|filebase64sha512|templatefile|fileexists|fileset|pathexpand)\s*\(([^)]*)\)/g;

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parse(name: string, text: string): Parsed {
  if (name.endsWith('.json')) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (err) {
      return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
    }
  }
  const [value, error] = (hcl2 as { parseToObject: (s: string) => [unknown, unknown] }).parseToObject(text);
  if (value === null || value === undefined || error) return { ok: false, reason: 'invalid HCL (HashiCorp HCL parser refused it)' };
  return { ok: true, value };
}

/** `..` as a path segment, or an absolute / home-relative path. */
export function escapesDir(p: string): boolean {
  const s = p.trim().replace(/^"|"$/g, '');
  return s.startsWith('/') || s.startsWith('~') || s.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(s) || /(^|[\\/])\.\.([\\/]|$)/.test(s);
}

const PATH_PREFIX = /^\$\{path\.(module|root|cwd)\}\/?/;

/** The first argument is `path.module`-like or a quoted string with no interpolation but a leading `${path.*}`. */
function literalRelativePath(args: string): boolean {
  const first = args.trim();
  if (/^path\.(module|root|cwd)\s*(,|$)/.test(first)) return true;
  const m = /^"([^"]*)"\s*(,|$)/.exec(first);
  if (!m) return false;
  const rest = (m[1] ?? '').replace(PATH_PREFIX, '');
  return !/[$%]\{/.test(rest) && !escapesDir(rest);
}

/** Blocks come as arrays of bodies (HCL) or as a single object (JSON syntax). */
function bodies(v: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
}

function checkString(where: string, key: string | undefined, s: string): string | undefined {
  if (key !== undefined && PATH_KEYS.has(key) && !s.includes('://') && !s.includes('::') && escapesDir(s)) {
    return `${where}${key} = "${s.slice(0, 120)}" points outside the deployment directory`;
  }
  for (const m of s.matchAll(FILE_FUNCTIONS)) {
    const arg = m[2] ?? '';
    if (m[1] === 'pathexpand' || escapesDir(arg) || /"\s*\/|"~|\.\./.test(arg)) {
      return `${where}${m[1]}(${arg.slice(0, 80)}) reads a file outside the deployment directory`;
    }
    // Only a literal path can be checked: `file(local.p)` or `file(replace(...))` could name any host file.
    if (!literalRelativePath(arg)) {
      return `${where}${m[1]}(${arg.slice(0, 80)}) needs a literal relative path (e.g. "\${path.module}/x.sh"), not an expression`;
    }
  }
  return undefined;
}

/** Walks every value; `where` names the block for the message. */
function walk(v: unknown, where: string, key?: string): string | undefined {
  if (typeof v === 'string') return checkString(where, key, v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = walk(x, where, key);
      if (bad) return bad;
    }
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'provisioner') {
      for (const b of bodies(child)) {
        if (Object.hasOwn(b, 'local-exec')) return `${where}provisioner "local-exec" would run commands on the InfraAI host; it is refused in POST /infra`;
      }
    }
    const bad = walk(child, where, k);
    if (bad) return bad;
  }
  return undefined;
}

function checkTopLevel(doc: Record<string, unknown>): string | undefined {
  for (const data of bodies(doc.data)) {
    if (Object.hasOwn(data, 'external')) return 'data "external" would run a program on the InfraAI host; it is refused in POST /infra';
  }
  for (const tf of bodies(doc.terraform)) {
    for (const backend of bodies(tf.backend)) {
      for (const local of bodies(backend.local)) {
        for (const k of ['path', 'workspace_dir']) {
          const v = local[k];
          if (typeof v === 'string' && escapesDir(v)) return `backend "local" ${k} = "${v.slice(0, 120)}" points outside the deployment directory`;
        }
      }
    }
  }
  for (const [kind, v] of Object.entries(doc)) {
    const bad = walk(v, `${kind} block: `);
    if (bad) return bad;
  }
  return undefined;
}

/** Checks every file; the first refusal names its file. */
export function guardFiles(files: Record<string, string>): GuardResult {
  for (const [name, text] of Object.entries(files)) {
    const parsed = parse(name, text);
    if (!parsed.ok) return { ok: false, file: name, reason: `${name}: ${parsed.reason}` };
    if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      return { ok: false, file: name, reason: `${name}: must be a configuration object` };
    }
    const bad = checkTopLevel(parsed.value as Record<string, unknown>);
    if (bad) return { ok: false, file: name, reason: `${name}: ${bad}` };
  }
  return { ok: true };
}
