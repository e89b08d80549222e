/**
 * The cloud's state: ONE JSON file (path in env LOCAL_CLOUD_STATE),
 * `{"version":1,"resources":{"<type>":{"<id>":{...attributes as in Terraform state JSON}}}}`.
 * Writers replace it atomically (temp + rename) under a small lock file, so two provider
 * processes (say google and kubernetes in one run) never lose each other's writes.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fromRaw, isMap, type Value, type ValueMap } from './values.js';

export interface CloudState {
  version: 1;
  resources: Record<string, Record<string, ValueMap>>;
}

export function readCloudStateFile(file: string): CloudState {
  if (!existsSync(file)) return { version: 1, resources: {} };
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') return { version: 1, resources: {} };
  const raw: Value = fromRaw(JSON.parse(text));
  const resources: Record<string, Record<string, ValueMap>> = {};
  const rs = isMap(raw) ? raw['resources'] : null;
  if (isMap(rs))
    for (const [type, byId] of Object.entries(rs)) {
      if (!isMap(byId)) continue;
      const items: Record<string, ValueMap> = {};
      for (const [id, attrs] of Object.entries(byId)) if (isMap(attrs)) items[id] = attrs;
      resources[type] = items;
    }
  return { version: 1, resources };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 5_000) rmSync(lock, { force: true });
      } catch {
        // the holder just released it
      }
      if (Date.now() > deadline)
        throw new Error(`could not lock ${file} (lock file ${lock} held for 10 s)`, { cause: err });
      sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Read-modify-write of the state file, atomically replaced. */
export function updateCloudState(file: string, edit: (state: CloudState) => void): void {
  mkdirSync(path.dirname(file), { recursive: true });
  withLock(file, () => {
    const state = readCloudStateFile(file);
    edit(state);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
    renameSync(tmp, file);
  });
}

export function putResource(file: string, type: string, id: string, attrs: ValueMap): void {
  updateCloudState(file, (s) => {
    (s.resources[type] ??= {})[id] = attrs;
  });
}

export function deleteResource(file: string, type: string, id: string): void {
  updateCloudState(file, (s) => {
    const byType = s.resources[type];
    if (byType) delete byType[id];
  });
}

export function getResource(file: string, type: string, id: string): ValueMap | null {
  return readCloudStateFile(file).resources[type]?.[id] ?? null;
}
