/**
 * `node dist/cloud/metrics/main.js [--port N] [--host H] [--state FILE] [--load FILE]`
 * Defaults from env: METRICS_PORT (9464), METRICS_HOST (127.0.0.1), LOCAL_CLOUD_STATE, LOCAL_CLOUD_LOAD.
 */
import { startExporter } from './exporter.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const portText = arg('port') ?? process.env.METRICS_PORT ?? '9464';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port: must be an integer 0-65535, got "${portText}"\n`);
  process.exit(2);
}
const host = arg('host') ?? process.env.METRICS_HOST ?? '127.0.0.1';
const statePath = arg('state') ?? process.env.LOCAL_CLOUD_STATE;
const loadPath = arg('load') ?? process.env.LOCAL_CLOUD_LOAD;

const exporter = await startExporter({ port, host, statePath, loadPath });
process.stdout.write(
  `local cloud metrics on ${exporter.url} (state ${statePath ?? '(none)'}, load ${loadPath ?? '(none)'})\n`,
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void exporter.close().then(() => process.exit(0));
  });
}
