import pino from 'pino';
import type { Config } from './config/config.js';
import { compose, type Service } from './main.js';
import type { RegistryResource } from './registry/registry-port.js';
import { asLogger, createPinoLogger } from './shared/pino-logger.js';

/**
 * The graph for a one-shot command: built by compose(), closed afterwards. Its logs go to stderr
 * (synchronously, so none is lost at exit): stdout carries only the command's output, which
 * scripts parse.
 */
export async function withService<T>(config: Config, fn: (s: Service) => Promise<T>): Promise<T> {
  const logger = asLogger(createPinoLogger(config.env.LOG_LEVEL, pino.destination({ dest: 2, sync: true })));
  const service = await compose(config, { logger });
  try {
    return await fn(service);
  } finally {
    await service.stop();
  }
}

/** `infraai sync [run_id]`: re-reads state; exit 1 when any deployment failed. */
export async function syncCommand(args: string[], config: Config, out = process.stdout): Promise<number> {
  return withService(config, async (s) => {
    const runId = args[0];
    const reports = runId === undefined ? await s.registrySync.syncAll() : [await s.registrySync.syncOne(runId)];
    for (const r of reports) {
      const counts = r.counts ? ` +${r.counts.added} ~${r.counts.updated} -${r.counts.gone} ↺${r.counts.revived}` : '';
      out.write(`${r.outcome.padEnd(9)} ${r.runId} ${r.status ?? ''}${counts}${r.error ? `: ${r.error}` : ''}\n`);
    }
    if (reports.length === 0) out.write(`no deployments under ${config.runsDir}\n`);
    return reports.some((r) => r.outcome === 'failed') ? 1 : 0;
  });
}

/** `infraai resources [query]`: a table of registry resources, plus how the query resolves as a lookup. */
export async function resourcesCommand(args: string[], config: Config, out = process.stdout): Promise<number> {
  return withService(config, async (s) => {
    const q = args[0];
    const page = s.registry.searchResources({ q, limit: 500, offset: 0 });
    out.write(table(page.items));
    out.write(`${page.items.length} of ${page.total} resources\n`);
    if (q !== undefined) {
      const r = s.registry.lookup(q);
      const line =
        r.status === 'matched'
          ? `matched ${r.resource.runId}:${r.resource.address} (by ${r.matchedBy})`
          : r.status === 'ambiguous'
            ? `ambiguous: ${r.reason}`
            : `unknown: ${r.reason}`;
      out.write(`lookup "${q}": ${line}\n`);
    }
    return 0;
  });
}

function table(items: RegistryResource[]): string {
  const rows = [['RUN_ID', 'ADDRESS', 'TYPE', 'MODE', 'STATUS', 'CLOUD_ID']];
  for (const r of items) rows.push([r.runId, r.address, r.type, r.mode, r.status, r.cloudId ?? '-']);
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((row) => row[i]!.length))));
  return (
    rows
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
