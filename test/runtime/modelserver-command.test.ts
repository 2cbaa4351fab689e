// `switchyard model-server` as a process: flags, the listening line, serving,
// clean stop on SIGTERM, and exit status 1 when the model cannot load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { modelServerOptions } from '../../src/runtime/modelserver/command.ts';

const root = join(import.meta.dirname, '../..');
const launcher = `
import { Command } from 'commander';
import { registerModelServerCommand } from './src/runtime/modelserver/command.ts';
const program = new Command('switchyard');
registerModelServerCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', launcher, '--', ...args], { cwd: root });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const waitFor = async (re: RegExp): Promise<RegExpMatchArray> => {
    for (let i = 0; i < 200; i++) {
      const m = out.match(re);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${re} in output: ${out}`);
  };
  return { child, waitFor, output: () => out };
}

test('flags map onto server options; batching is on unless --max-batch-size is 1', () => {
  const base = { modelDir: 'm', name: 'iris', port: '8085', host: '127.0.0.1', modelVersion: '1' };
  assert.deepEqual(modelServerOptions(base), { modelDir: 'm', name: 'iris', port: 8085, host: '127.0.0.1', version: '1', batching: { maxBatchSize: 32, maxDelayMs: 0 } });
  assert.equal(modelServerOptions({ ...base, maxBatchSize: '1' }).batching, false);
  const batched = modelServerOptions({ ...base, maxBatchSize: '32', maxBatchDelayMs: '2', output: 'probabilities' });
  assert.deepEqual([batched.batching, batched.outputName], [{ maxBatchSize: 32, maxDelayMs: 2 }, 'probabilities']);
  assert.throws(() => modelServerOptions({ ...base, port: 'http' }), /--port: /);
});

test('serves predictions, logs each request and stops cleanly on SIGTERM', async () => {
  const p = run(['model-server', '--model-dir', 'examples/models/const-virginica', '--name', 'always', '--port', '0', '--max-batch-size', '8']);
  const [, port] = await p.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  await p.waitFor(/ready \(batching 8 rows \/ 0 ms\)/);
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/always:predict`, { method: 'POST', body: '{"instances":[[5.1,3.5,1.4,0.2]]}' });
  assert.deepEqual(await res.json(), { predictions: [2] });
  await p.waitFor(/ POST \/v1\/models\/always:predict 200 /);
  p.child.kill('SIGTERM');
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 0);
});

test('exits 1 naming the problem when the model directory has no model', async () => {
  const p = run(['model-server', '--model-dir', 'examples/data', '--name', 'none', '--port', '0']);
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 1);
  assert.match(p.output(), /model none failed to load: no \.onnx file in examples\/data/);
});
