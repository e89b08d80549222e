#!/usr/bin/env node
import { loadConfig } from './config/config.js';
import { runServer } from './main.js';
import { AppError } from './shared/errors.js';

const USAGE = `usage: infraai <command>

commands:
  serve               start the service (default)
  sync [run_id]       rebuild the deployment registry from Terraform state
  resources [query]   list registry resources, optionally matching a query
  doctor              check configuration, database, terraform and every run dir
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  switch (command) {
    case 'serve':
      await runServer(config);
      return -1; // keep running
    default: {
      const commands = await import('./cli-commands.js');
      return commands.run(command, rest, config);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    const message = err instanceof AppError ? `${err.code}: ${err.message}` : ((err as Error).stack ?? String(err));
    process.stderr.write(`infraai: ${message}\n`);
    process.exit(1);
  },
);
