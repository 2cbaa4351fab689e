// `switchyard feedback post|import`: the real binary against a real API server
// whose feedback goes into a real prediction log, with a feedback token from
// `token create --role feedback`.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { writeKubeconfig } from '../../src/server/datadir.ts';
import { PredictionLog } from '../../src/store/predictions.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { BIN, run } from '../e2e/harness.ts';

const sy = (args: string[], input?: string) => run(process.execPath, [BIN, ...args], { env: { KUBECONFIG: '/nonexistent' }, ...(input !== undefined ? { input } : {}) });

let dir: string;
let store: Store;
let api: ApiServer;
let log: PredictionLog;
let admin: string;
let app: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-cli-feedback-'));
  store = await openSqliteStore({ path: join(dir, 'switchyard.db') });
  log = new PredictionLog({ path: join(dir, 'switchyard.db'), flushIntervalMs: 60_000 });
  const tokens = new TokenRegistry(join(dir, 'tokens.json'));
  api = await startApiServer({ store, tokens, port: 0, feedback: (events) => log.postFeedback(events) });
  admin = join(dir, 'admin.kubeconfig');
  writeKubeconfig(admin, api.url, tokens.create('admin', 'admin'));
  const created = await sy(['--kubeconfig', admin, 'token', 'create', '--role', 'feedback', '--name', 'app']);
  assert.equal(created.code, 0, created.stderr);
  app = join(dir, 'app.kubeconfig');
  writeKubeconfig(app, api.url, created.stdout.trim());
  for (let i = 0; i < 3; i++) {
    log.enqueue({ requestId: `req-${i}`, time: Date.now(), namespace: 'shop', service: 'ranker', revision: `ranker-predictor-0000${i + 1}`, variant: 'latest', role: 'primary', status: 200, latencyMs: 1, unit: `user-${i}` });
  }
});

after(async () => {
  await api.close();
  await log.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const revisions = () => log.db.prepare('SELECT metric, value, revision FROM feedback ORDER BY rowid').all();

test('feedback post: by request id and by unit, with a feedback token; a retry counts once', async () => {
  const r = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'req-0', '--metric', 'click', '--value', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'accepted 1, duplicates 0, unmatched 0\n');
  const again = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'req-0', '--metric', 'click', '--value', '1', '-o', 'json']);
  assert.equal(JSON.parse(again.stdout).duplicates, 1);
  const unit = await sy(['--kubeconfig', app, '-n', 'shop', 'feedback', 'post', '--unit', 'user-1', '--metric', 'revenue', '--value', '19.5', '--id', 'order-1', '--time', '1714557600000']);
  assert.equal(unit.stdout, 'accepted 1, duplicates 0, unmatched 0\n');
  assert.deepEqual(revisions(), [
    { metric: 'click', value: 1, revision: 'ranker-predictor-00001' },
    { metric: 'revenue', value: 19.5, revision: 'ranker-predictor-00002' },
  ]);
  const lost = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'nobody', '--metric', 'click', '--value', '1']);
  assert.equal(lost.code, 0);
  assert.equal(lost.stdout, 'accepted 0, duplicates 0, unmatched 1\n');
  assert.match(lost.stderr, /^unmatched \(no prediction found to join; stored and counted, see docs\/feedback\.md\): sha256:[0-9a-f]{64}\n$/);
});

test('feedback post refuses bad flags before sending', async () => {
  const both = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'a', '--unit', 'b', '--metric', 'click', '--value', '1']);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /give exactly one of --request-id and --unit/);
  const value = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'a', '--metric', 'click', '--value', 'lots']);
  assert.match(value.stderr, /--value must be a finite number/);
  const metric = await sy(['--kubeconfig', app, 'feedback', 'post', '--request-id', 'a', '--metric', 'add to cart', '--value', '1']);
  assert.match(metric.stderr, /events\[0\]\.metric: Invalid value: "add to cart"/);
  assert.match(metric.stderr, /SY_ERR_INVALID_FEEDBACK/);
});

test('feedback import: a JSON Lines file; a bad line is named and nothing is sent; a viewer is refused', async () => {
  const before = revisions().length;
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, [
    JSON.stringify({ requestId: 'req-2', metric: 'click', value: 1 }),
    '',
    JSON.stringify({ requestId: 'req-1', metric: 'click', value: 'yes' }),
  ].join('\n'));
  const refused = await sy(['--kubeconfig', app, 'feedback', 'import', bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /events\[1\] \(line 3\)\.value: Invalid value: "yes": must be of type number/);
  assert.match(refused.stderr, /nothing was sent/);
  assert.equal(revisions().length, before);

  const good = [...Array.from({ length: 1200 }, (_, i) => JSON.stringify({ requestId: `req-${i % 3}`, metric: 'view', value: 1, id: `view-${i}` })), ''].join('\n');
  const imported = await sy(['--kubeconfig', app, 'feedback', 'import', '-'], good);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout, 'accepted 1200, duplicates 0, unmatched 0\n');
  const again = await sy(['--kubeconfig', app, 'feedback', 'import', '-', '-o', 'json'], good);
  const body = JSON.parse(again.stdout);
  assert.deepEqual([body.accepted, body.duplicates, body.events.length], [0, 1200, 1200]);

  const viewerToken = (await sy(['--kubeconfig', admin, 'token', 'create', '--role', 'viewer'])).stdout.trim();
  const viewer = await sy(['--kubeconfig', app, '--token', viewerToken, 'feedback', 'import', '-'], good);
  assert.equal(viewer.code, 1);
  assert.match(viewer.stderr, /feedback is forbidden: viewer/);
});
