import { randomFillSync } from 'node:crypto';

const RANDOM_BYTES = 6;
// Random bytes are drawn from the CSPRNG in blocks: one call per 512 ids instead of one per id
// (intake makes an id per notification and per incident).
const pool = Buffer.alloc(RANDOM_BYTES * 512);
let offset = pool.length;

/** Ids are sortable by creation time: a base36 millisecond prefix plus random bits. */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const time = nowMs.toString(36).padStart(9, '0');
  if (offset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  return `${prefix}_${time}${random}`;
}
