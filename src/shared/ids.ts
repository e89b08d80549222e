import { randomBytes } from 'node:crypto';

/** Ids are sortable by creation time: a base36 millisecond prefix plus random bits. */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const time = nowMs.toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomBytes(6).toString('hex')}`;
}
