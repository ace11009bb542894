import { realpathSync } from 'node:fs';

/**
 * The shape every operator CLI shares: JSON results on stdout, messages on stderr, and exit
 * codes 0 (done), 1 (usage error, with the usage text) and 2 (the operation failed).
 */
export interface CliOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A wrong invocation (exit code 1). */
export class UsageError extends Error {}

/**
 * A right invocation with bad input, such as a file that is not a valid policy (exit code 1,
 * like a usage error, but without the usage text: the message says what to fix).
 */
export class InputError extends UsageError {}

/** What `parse` returns for `-h`/`--help`. */
export const HELP = Symbol('help');

export const runJsonCli = async <P>(
  argv: string[],
  io: CliOutput,
  spec: {
    readonly usage: string;
    readonly parse: (argv: string[]) => P | typeof HELP;
    readonly run: (parsed: P) => Promise<unknown>;
    /** One line for a failure: no stack trace, no secret. */
    readonly describeFailure: (error: unknown, parsed: P) => string;
  },
): Promise<number> => {
  let parsed: P | typeof HELP;
  try {
    parsed = spec.parse(argv);
  } catch (error) {
    const usage = error instanceof InputError ? '' : `\n${spec.usage}`;
    io.stderr(`error: ${(error as Error).message}\n${usage}`);
    return 1;
  }
  if (parsed === HELP) {
    io.stdout(spec.usage);
    return 0;
  }
  try {
    io.stdout(`${JSON.stringify(await spec.run(parsed), null, 2)}\n`);
    return 0;
  } catch (error) {
    io.stderr(`error: ${spec.describeFailure(error, parsed)}\n`);
    return 2;
  }
};

/** Whether the module at `filename` is the script node was started with. */
export const isMainModule = (filename: string): boolean => {
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === filename;
};
