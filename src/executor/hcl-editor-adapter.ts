import { editHcl, HclParser, readHclValue, readIgnoreChanges } from '../hcl/edit.js';
import type { HclEditor } from './ports.js';
import { refuse } from '../shared/result.js';

/** The HclEditor port over hcl-edit.ts, sharing one tree-sitter parser (loaded on first use). */
export function treeSitterHclEditor(): HclEditor {
  let parser: Promise<HclParser> | undefined;
  const get = () => (parser ??= HclParser.create());
  return {
    async edit(files, edit) {
      const r = await editHcl(
        files,
        {
          address: edit.address,
          attributePath: [...edit.attributePath],
          value: edit.value,
          ...(edit.create !== undefined && { create: edit.create }),
          ...(edit.varFiles !== undefined && { varFiles: [...edit.varFiles] }),
          ...(edit.sharedValues !== undefined && { sharedValues: edit.sharedValues }),
        },
        await get(),
      );
      return r.ok ? { ok: true, files: r.files, chain: r.chain } : refuse(r.code, `${r.message} (${r.code})`);
    },
    async read(files, address, attributePath) {
      const r = await readHclValue(files, address, [...attributePath], await get());
      return r.ok ? r.value : undefined;
    },
    async ignoreChanges(files, address) {
      const r = await readIgnoreChanges(files, address, await get());
      // Unreadable (syntax error, declared twice): the edit itself refuses with the reason.
      return r.ok ? r.rule : undefined;
    },
  };
}
