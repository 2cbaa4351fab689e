// One way for every benchmark to read its options: node's parseArgs, plus
// --help (the file's opening comment and its options with their defaults)
// and a one-line error for a wrong option instead of a stack trace.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The options of the benchmark at `url` (its import.meta.url); --help prints what it does and exits. */
export function benchArgs<O extends Options>(url: string, options: O) {
  const file = fileURLToPath(url);
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    const head = readFileSync(file, 'utf8').split('\n').filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//')));
    const names = Object.entries(options).map(([name, o]) => `--${name}${o.type === 'string' ? ' <value>' : ''}`);
    const width = Math.max(...names.map((n) => n.length));
    const flags = Object.values(options).map((o, i) => `  ${names[i]!.padEnd(width)}${o.default !== undefined ? `  (default: ${String(o.default)})` : ''}`);
    console.log([...head.map((l) => l.replace(/^\/\/ ?/, '')), '', 'Options:', ...flags].join('\n'));
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options }).values;
  } catch (err) {
    console.error(`${basename(file)}: ${(err as Error).message.split('\n')[0]} (--help lists the options)`);
    process.exit(2);
  }
}
