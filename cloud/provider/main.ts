/**
 * Entry point of the local cloud plugin: `node dist/cloud/provider/main.js <google|aws|kubernetes>`
 * (the mirror's terraform-provider-* scripts exec this). Only the named provider is loaded.
 */
import { serve } from './server.js';
import type { ProviderDefinition } from './schema.js';

async function load(name: string | undefined): Promise<ProviderDefinition> {
  switch (name) {
    case 'google':
      return (await import('./google.js')).google;
    case 'aws':
      return (await import('./aws.js')).aws;
    case 'kubernetes':
      return (await import('./kubernetes.js')).kubernetes;
    default:
      throw new Error(`unknown provider ${String(name)} (expected google, aws or kubernetes)`);
  }
}

load(process.argv[2])
  .then(serve)
  .catch((err: unknown) => {
    process.stderr.write(`[local-cloud] ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
