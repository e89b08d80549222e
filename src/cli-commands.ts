import type { Config } from './config/config.js';

/** Non-serve commands; each returns the process exit code. */
export async function run(command: string, _args: string[], _config: Config): Promise<number> {
  process.stderr.write(`infraai: unknown command "${command}" (try --help)\n`);
  return 2;
}
