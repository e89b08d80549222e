import type { Config } from './config/config.js';

/** Non-serve commands; each returns the process exit code. */
export async function run(command: string, args: string[], config: Config): Promise<number> {
  switch (command) {
    case 'sync':
      return (await import('./cli-registry.js')).syncCommand(args, config);
    case 'resources':
      return (await import('./cli-registry.js')).resourcesCommand(args, config);
    case 'doctor':
      return (await import('./cli-doctor.js')).doctorCommand(config);
  }
  process.stderr.write(`infraai: unknown command "${command}" (try --help)\n`);
  return 2;
}
