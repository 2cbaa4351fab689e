// `npm start` (up --apply examples/quickstart --demo) tells the whole story
// on embedded defaults: KServe's canary by hand, then two TrafficPlans under
// generated load — iris-v2 promoted step by step, an always-"setosa"
// candidate rolled back by its output gate — with no failed request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startUp } from './harness.ts';

test('npm start: the canary story, then a good plan promoted and a bad one rolled back', async () => {
  const up = await startUp(['--apply', 'examples/quickstart', '--demo']);
  try {
    const end = Date.now() + 300_000;
    while (!/demo: done; generated load got/.test(up.output()) && !/demo stopped/.test(up.output())) {
      assert.ok(Date.now() < end, `the demo did not finish in 5 minutes:\n${up.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const out = up.output();
    assert.doesNotMatch(out, /demo stopped/);
    assert.match(out, /demo 5\/5: rollback after promotion/);
    assert.match(out, /trafficplan quickstart\/iris-v2: Pending → Progressing \(started\) canary phase 1, step 1\/3 at 20%/);
    assert.match(out, /step 1\/3 passed; canary 20% → 50%/);
    assert.match(out, /step 2\/3 passed; canary 50% → 100%/);
    assert.match(out, /iris-v2: Promoted — the last step passed its gates and hold/);
    assert.match(out, /iris-setosa: RolledBack — gate failed \(outputPSI/);
    assert.match(out, /generated load got \d+× 200\. /, 'every generated request was answered 200');
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
