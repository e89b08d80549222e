/**
 * The local cloud's /metrics endpoint: every scrape re-reads the state and load files, so an
 * apply (which rewrites the state) or an edit of the load file shows on the next scrape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCloudState } from './cloud-state.js';
import { CONTENT_TYPE, render } from './exposition.js';
import { readLoad } from './load.js';
import { deriveFamilies } from './series.js';

export interface ExporterOptions {
  /** The cloud's state file (LOCAL_CLOUD_STATE); missing = no resources yet. */
  statePath: string | undefined;
  /** The load file (LOCAL_CLOUD_LOAD); missing = default load. */
  loadPath: string | undefined;
  port: number;
  host?: string;
}

export interface Exporter {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The exposition text for the files as they are now. @throws when a file exists but is malformed. */
export function scrape(statePath: string | undefined, loadPath: string | undefined): string {
  return render(deriveFamilies(readCloudState(statePath), readLoad(loadPath)));
}

/** Listens on host:port (port 0 = any free port). Malformed files answer 500 naming the problem. */
export async function startExporter(o: ExporterOptions): Promise<Exporter> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== '/metrics') {
      res.writeHead(url.pathname === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' });
      res.end(url.pathname === '/metrics' ? 'GET only\n' : 'see /metrics\n');
      return;
    }
    try {
      const body = scrape(o.statePath, o.loadPath);
      res.writeHead(200, { 'content-type': CONTENT_TYPE });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`cannot derive metrics: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
