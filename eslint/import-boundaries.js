// @ts-check
// The import-boundary rule: each folder of src/ may import only what its README's "May import" line
// lists. An allow-list (not a deny-list), so a new dependency between folders is a decision someone
// writes down in BOUNDARIES and the README, not an accident that compiles.
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * @typedef {object} Boundary
 * @property {string[]} imports what every file of the folder may import: `folder/` (anything in it),
 *   `folder/file` (one module, no extension), a package name (`zod`, `@fastify/*`, `node:*`), and any of
 *   those prefixed with `type:` when only `import type` is allowed.
 * @property {Record<string, string[]>} [adapters] extra imports for named files of the folder (the adapter
 *   named after its technology is the one file allowed to import that technology).
 */

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** @typedef {{ src?: string, pkg?: string, outside?: string }} Target */

/**
 * The import's target: `{ src: 'db/ledger/sqlite-ledger' }` for a file in src/, `{ pkg }` for a package.
 * @param {string} specifier @param {string} filename @param {string} srcDir @returns {Target}
 */
function target(specifier, filename, srcDir) {
  if (specifier.startsWith('.')) {
    const abs = path.resolve(path.dirname(filename), specifier);
    const rel = path.relative(srcDir, abs).split(path.sep).join('/');
    if (rel.startsWith('..')) return { outside: rel };
    return { src: rel.replace(/\.(js|ts|mjs|cjs|json)$/, '') };
  }
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (BUILTINS.has(bare.split('/')[0] ?? '')) return { pkg: `node:${bare}` };
  const parts = specifier.split('/');
  return { pkg: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier) };
}

/** @param {string} entry @param {Target} t @returns {boolean} */
function entryMatches(entry, t) {
  if (t.src !== undefined) {
    return entry.endsWith('/') ? t.src.startsWith(entry) : t.src === entry;
  }
  if (t.pkg === undefined || (entry.includes('/') && !entry.startsWith('@'))) return false;
  return entry.endsWith('*') ? t.pkg.startsWith(entry.slice(0, -1)) : t.pkg === entry;
}

/** @param {string[]} list @param {Target} t @param {boolean} typeOnly @returns {boolean} */
function allowed(list, t, typeOnly) {
  return list.some((e) => (e.startsWith('type:') ? typeOnly && entryMatches(e.slice(5), t) : entryMatches(e, t)));
}

/** @param {any} node an import/export declaration (ESTree + typescript-eslint's importKind/exportKind) */
function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  /** @type {any[]} */
  const specs = node.specifiers ?? [];
  return specs.length > 0 && specs.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/**
 * @param {{ srcDir: string, boundaries: Record<string, Boundary> }} options
 * @returns {import('eslint').Rule.RuleModule}
 */
export function importBoundaries({ srcDir, boundaries }) {
  return {
    meta: {
      type: 'problem',
      docs: { description: 'imports must be on the importing folder\'s allow-list (its README\'s "May import")' },
      messages: {
        denied:
          '{{folder}}/ may not import "{{what}}" (not on its list in eslint/boundaries.js and src/{{folder}}/README.md)',
      },
      schema: [],
    },
    create(context) {
      const rel = path.relative(srcDir, context.filename).split(path.sep).join('/');
      const [folder, ...rest] = rel.split('/');
      if (rel.startsWith('..') || rest.length === 0 || folder === undefined) return {};
      const boundary = boundaries[folder];
      if (!boundary) return {};
      const list = [`${folder}/`, ...boundary.imports, ...(boundary.adapters?.[rest.join('/')] ?? [])];
      /** @param {any} node @param {any} source the declaration and its `source` literal (ESTree) */
      const check = (node, source) => {
        if (!source || typeof source.value !== 'string') return;
        const t = target(source.value, context.filename, srcDir);
        if (allowed(list, t, isTypeOnly(node))) return;
        const what = t.src ?? t.pkg ?? t.outside ?? source.value;
        context.report({ node: source, messageId: 'denied', data: { folder, what } });
      };
      return {
        ImportDeclaration: (node) => check(node, node.source),
        ExportNamedDeclaration: (node) => check(node, node.source),
        ExportAllDeclaration: (node) => check(node, node.source),
        ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null),
      };
    },
  };
}
