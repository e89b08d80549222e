import { z } from 'zod';

/** `since`/`until` on list endpoints: ISO-8601 with an offset; compared against created_at (UTC). */
export const TimeWindowQuery = {
  since: z.iso.datetime({ offset: true }).optional().describe('only items created at or after this time'),
  until: z.iso.datetime({ offset: true }).optional().describe('only items created before this time'),
};

export interface TimeWindow {
  since?: string;
  until?: string;
}

/** Normalises to the UTC `toISOString()` form the tables store, so string comparison is exact. */
export function timeWindow(q: { since?: string | undefined; until?: string | undefined }): TimeWindow {
  return {
    ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
    ...(q.until ? { until: new Date(q.until).toISOString() } : {}),
  };
}

/** SQL conditions for a window over `column`; parameters are @since / @until. */
export function windowConditions(w: TimeWindow, column = 'created_at'): string[] {
  const out: string[] = [];
  if (w.since) out.push(`${column} >= @since`);
  if (w.until) out.push(`${column} < @until`);
  return out;
}
