// `switchyard model-server`: what the supervisor runs for each replica, and
// usable alone. A model that fails to load ends the process with status 1
// (like KServe's server), so a supervisor sees a crash, not a silent 503.
import type { Command } from 'commander';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { DEFAULT_BATCHING, startModelServer, type ModelServerOptions } from './server.ts';

export const modelServerCommand = {
  name: 'model-server',
  description: 'Serve one ONNX model over KServe V1 and V2 (Open Inference Protocol)',
} as const;

const port = z.coerce.number().int().min(0).max(65535);
const Flags = z.object({
  modelDir: z.string().min(1),
  name: z.string().min(1),
  port,
  host: z.string().min(1).default('127.0.0.1'),
  output: z.string().min(1).optional(),
  modelVersion: z.string().min(1).default('1'),
  maxBatchSize: z.coerce.number().int().min(1).default(DEFAULT_BATCHING.maxBatchSize),
  maxBatchDelayMs: z.coerce.number().min(0).default(DEFAULT_BATCHING.maxDelayMs),
});

export function modelServerOptions(raw: unknown): ModelServerOptions {
  const parsed = Flags.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw syError('SY_ERR_CONFIG', `--${String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
  }
  const f = parsed.data;
  return {
    modelDir: f.modelDir,
    name: f.name,
    port: f.port,
    host: f.host,
    version: f.modelVersion,
    ...(f.output === undefined ? {} : { outputName: f.output }),
    batching: f.maxBatchSize > 1 ? { maxBatchSize: f.maxBatchSize, maxDelayMs: f.maxBatchDelayMs } : false,
  };
}

export function registerModelServerCommand(program: Command): Command {
  return program
    .command(modelServerCommand.name)
    .description(modelServerCommand.description)
    .requiredOption('--model-dir <dir>', 'directory holding model.onnx (or a single *.onnx file)')
    .requiredOption('--name <name>', 'model name in the V1/V2 paths')
    .requiredOption('--port <port>', 'port to listen on (0 picks a free one)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--output <name>', 'output used for V1 predictions (default: the first output)')
    .option('--model-version <v>', 'version reported by V2 metadata', '1')
    .option('--max-batch-size <n>', 'dynamic batching: at most N rows per run (1 turns batching off)', String(DEFAULT_BATCHING.maxBatchSize))
    .option('--max-batch-delay-ms <ms>', 'longest wait for a batch to fill (0 = one event-loop turn)', String(DEFAULT_BATCHING.maxDelayMs))
    .action(async (flags: Record<string, unknown>) => {
      const opts = modelServerOptions(flags);
      const server = await startModelServer(opts);
      const say = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      say(`model server ${opts.name} listening on http://${opts.host}:${server.port}`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await server.ready;
        say(`model ${opts.name} loaded from ${opts.modelDir}; ready${opts.batching ? ` (batching ${opts.batching.maxBatchSize} rows / ${opts.batching.maxDelayMs} ms)` : ''}`);
      } catch (err) {
        say(`model ${opts.name} failed to load: ${(err as Error).message}`);
        await server.close();
        process.exit(1);
      }
    });
}
