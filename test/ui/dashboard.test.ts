/// <reference lib="dom" />
// The dashboard in a real browser (Debian's chromium driven by playwright-core)
// against the real `switchyard up`, real ONNX models and generated load: sign
// in, follow a running plan window by window, pull its kill switch, and check
// that a viewer sees no controls and is refused by the server whatever it
// sends. Screenshots of every view go to test-artifacts/ui/ (gitignored).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { apiFetch, removeDir, ROOT, startUp, until, type Up } from '../e2e/harness.ts';
import { startLoad } from '../e2e/load.ts';

const CHROMIUM = process.env.SY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');
const PLAN = 'iris-v2';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

function isvc(name: string, storageUri: string): object {
  return { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri } } } };
}

// A request budget beyond what the test sends: the plan stays in its first step, judging a window every 2 s.
const plan = {
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: PLAN, namespace: 'default' },
  spec: {
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'ml-platform', canHalt: ['sre'] },
    phases: [{ canary: { steps: [20, 50, 100], hold: { minRequests: 5000, passingWindows: 1 } } }],
    gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'latencyP99Ms', max: 2000 }, { metric: 'outputPSI', max: 0.2 }],
    window: '2s', maxDuration: '10m', rollback: { onGateFailure: true, keepWarm: '1h' },
  },
};

// A shadow phase on another service: the candidate answers copies, paired with the baseline's answers.
const SHADOW_PLAN = 'iris-s-v2';
const shadowPlan = {
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: SHADOW_PLAN, namespace: 'default' },
  spec: {
    target: { inferenceService: 'iris-s' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'ml-platform' },
    phases: [{ shadow: { percent: 50, exit: { pairedRequests: 100_000, maxDuration: '10m' } } }, { canary: { steps: [100], hold: { minRequests: 1000 } } }],
    gates: [{ metric: 'agreement', min: 0.9 }, { metric: 'outputPSI', max: 0.2 }],
    window: '2s', maxDuration: '10m', rollback: { onGateFailure: true, keepWarm: '1h' },
  },
};

// A bandit between two destinations of a VirtualService (no rewards posted: the panel shows its arms and mode).
const picker = {
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'picker', namespace: 'default' },
  spec: { hosts: ['picker.default.example.com'], http: [{ name: 'main', route: [{ destination: { host: 'iris.default.svc.cluster.local' }, weight: 100 }, { destination: { host: 'iris-b.default.svc.cluster.local' }, weight: 0 }] }] },
};
const BANDIT_PLAN = 'picker-bandit';
const banditPlan = {
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: BANDIT_PLAN, namespace: 'default' },
  spec: {
    target: { virtualService: { name: 'picker', route: 'main' } }, candidate: { revision: 'iris-b' }, owner: { team: 'ml-platform' },
    phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, minPercent: 10, rewardFreshness: '1h', stop: { minRewards: 100_000 } } }],
    gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.2 }],
    window: '2s', maxDuration: '10m',
  },
};

// An A/B test that has not started deciding: the panel shows the design's size and both arms.
const AB_PLAN = 'iris-ab-v2';
const abPlan = {
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: AB_PLAN, namespace: 'default' },
  spec: {
    target: { inferenceService: 'iris-ab' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'growth' },
    cohorts: { unit: { header: 'x-user-id' } },
    phases: [{ abTest: { percent: 50, primary: { metric: 'click', outcome: { aggregate: 'conversion', per: 'unit' } }, baselineRate: 0.1, minDetectableEffect: 0.2, maxDuration: '1h' } }],
    gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.2 }],
    window: '2s', maxDuration: '2h',
  },
};

const mirrored = {
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'iris-mirrored', namespace: 'default' },
  spec: {
    hosts: ['mirrored.default.example.com'],
    http: [{ name: 'default', route: [{ destination: { host: 'iris-b-predictor.default.svc.cluster.local' } }], mirror: { host: 'iris-shadow-predictor.default.svc.cluster.local' }, mirrorPercentage: { value: 100 } }],
  },
};

describe('dashboard in a browser', { concurrency: false }, () => {
  let up: Up;
  let browser: BrowserContext;
  let load: ReturnType<typeof startLoad>;
  let shadowLoad: ReturnType<typeof startLoad>;
  const tokens: Record<string, string> = {};
  const pageErrors: string[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'sy-chromium-'));

  const api = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const res = await apiFetch(up, path, { method, ...(token ? { token } : {}), ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } } : {}) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const planStatus = async () => (await api<{ status?: { phase?: string; baselineRevision?: string; candidateRevision?: string; split?: Record<string, number> } }>('GET', `/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans/${PLAN}`)).body.status ?? {};
  const shot = async (page: Page, name: string, fullPage = true) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });

  async function signIn(token: string, viewport = DESKTOP): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${up.url}/ui/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    return page;
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    up = await startUp();
    cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
    for (const [name, uri] of [['iris', 'pvc://models/iris-v1/'], ['iris-b', 'pvc://models/iris-v1/'], ['iris-shadow', 'pvc://models/const-virginica/'], ['iris-s', 'pvc://models/iris-v1/'], ['iris-ab', 'pvc://models/iris-v1/']] as const) {
      assert.equal((await api('POST', '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices', isvc(name, uri))).status, 201);
    }
    await until('the InferenceServices to be Ready', async () => {
      const list = await api<{ items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }> }>('GET', '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices');
      return list.body.items.length === 5 && list.body.items.every((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
    }, 90_000);
    for (const role of ['viewer', 'operator']) {
      tokens[role] = (await api<{ token: string }>('POST', '/switchyard/v1/tokens', { role, name: `${role}-ui` })).body.token;
    }
    load = startLoad(up, 'iris.default.example.com', { rps: 60, concurrency: 4 });
    shadowLoad = startLoad(up, 'iris-s.default.example.com', { rps: 25, concurrency: 2 });
    assert.equal((await api('POST', '/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans', plan)).status, 201);
    assert.equal((await api('POST', '/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans', shadowPlan)).status, 201);
    // Requests through a VirtualService that mirrors every one to a shadow: the paired predictions.
    assert.equal((await api('POST', '/apis/networking.istio.io/v1/namespaces/default/virtualservices', mirrored)).status, 201);
    assert.equal((await api('POST', '/apis/networking.istio.io/v1/namespaces/default/virtualservices', picker)).status, 201);
    assert.equal((await api('POST', '/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans', banditPlan)).status, 201);
    assert.equal((await api('POST', '/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans', abPlan)).status, 201);
    await until('the mirrored route to answer', async () => {
      const res = await request(`${up.gatewayUrl}/v1/models/iris-b:predict`, { method: 'POST', headers: { host: 'mirrored.default.example.com' }, body: '{"instances": [[5.9, 3.0, 5.1, 1.8]]}' });
      await res.body.text();
      return res.statusCode === 200 ? true : undefined;
    });
    for (let i = 0; i < 20; i++) {
      const res = await request(`${up.gatewayUrl}/v1/models/iris-b:predict`, { method: 'POST', headers: { host: 'mirrored.default.example.com' }, body: JSON.stringify({ instances: [[5 + (i % 3) * 0.8, 3, 1.5 + (i % 3) * 2, 0.2 + (i % 3)]] }) });
      await res.body.text();
    }
    await until('the plan to judge a window with candidate traffic', async () => {
      const s = (await api<{ status?: { phase?: string; evidence?: { candidateRequests?: number } } }>('GET', `/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans/${PLAN}`)).body.status;
      return s?.phase === 'Progressing' && (s.evidence?.candidateRequests ?? 0) > 0 ? true : undefined;
    }, 90_000);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true, // the API server's certificate is self-signed (its CA is in the kubeconfig)
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterEach(() => assert.deepEqual(pageErrors.splice(0), [], 'no script errors on the page'));

  after(async () => {
    await browser?.close();
    await load?.stop();
    await shadowLoad?.stop();
    await up?.stop();
    if (up) removeDir(up.dataDir);
    rmSync(profile, { recursive: true, force: true });
  });

  test('a bad token gets a clear sign-in error and no dashboard', async () => {
    const page = await browser.newPage();
    await page.goto(`${up.url}/ui/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /Enter a token/);
    await page.getByLabel('API token').fill('sy_admin_not-a-token');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'does not accept' }).waitFor();
    assert.match(await alert.innerText(), /The server does not accept this token: the bearer token is not known to this server/);
    assert.equal(await page.getByRole('heading', { name: 'Overview' }).count(), 0);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
    await shot(page, 'login-error');
    await page.close();
  });

  test('overview, InferenceService and predictions views; readable on a phone', async () => {
    const page = await signIn(up.adminToken);
    await page.getByRole('link', { name: PLAN, exact: true }).waitFor();
    assert.match(await page.getByRole('row', { name: new RegExp(`^${PLAN}`) }).innerText(), /Progressing/);
    await page.getByRole('link', { name: 'iris-shadow' }).waitFor();
    await shot(page, 'overview', false);

    await page.getByRole('link', { name: 'iris', exact: true }).click();
    await page.getByRole('heading', { name: 'InferenceService iris', level: 1 }).waitFor();
    // Two revisions with traffic once the candidate serves its share, each charted from the telemetry.
    await page.locator('.telemetry table tbody tr').nth(1).waitFor({ timeout: 20_000 });
    await page.locator('pre.log').first().filter({ hasText: 'POST' }).waitFor({ timeout: 15_000 });
    await shot(page, 'inferenceservice');

    await page.goto(`${up.url}/ui/#/predictions?namespace=default&service=iris-b`);
    await page.getByRole('table').filter({ hasText: 'rows, newest first' }).waitFor();
    await page.getByLabel('Status').selectOption('5xx');
    await page.getByText('No rows match.').waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('paired with shadow').check();
    const agreement = page.getByText(/pairs answered the same/);
    await agreement.waitFor();
    const pairs = Number(/of (\d+) pairs/.exec(await agreement.innerText())?.[1]);
    assert.ok(pairs >= 20, `${pairs} pairs: every request through the mirrored route has its shadow answer`);
    await shot(page, 'predictions-paired');

    await page.setViewportSize(PHONE);
    for (const hash of ['#/', `#/plans/default/${PLAN}`, '#/services/default/iris']) {
      await page.goto(`${up.url}/ui/${hash}`);
      await page.locator('main h1').waitFor();
      await page.waitForTimeout(500);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${hash} scrolls sideways by ${overflow}px at phone width`);
    }
    await shot(page, 'inferenceservice-phone');
    await page.close();
  });

  test('a shadow phase shows its pairs, agreement over time and the confusion matrix', async () => {
    const page = await signIn(tokens.viewer!);
    await page.goto(`${up.url}/ui/#/plans/default/${SHADOW_PLAN}`);
    const panel = page.getByRole('region', { name: 'Shadow pairs (agreement, disagreements)' });
    await panel.waitFor();
    await until('shadow pairs to be judged', async () => (Number((await panel.locator('.meter-text').innerText()).split(' ')[0]!.replace(/,/g, '')) > 0 ? true : undefined), 30_000);
    assert.match(await panel.innerText(), /Agreement\s+100 %/, 'the same model answers the same');
    await panel.getByRole('table', { name: /Confusion/ }).waitFor();
    assert.match(await panel.getByRole('table', { name: /Confusion/ }).innerText(), /✓ \d+/, 'agreement is marked by a symbol, not only a colour');
    assert.match(await page.getByRole('listitem').filter({ hasText: 'shadow 50 %' }).innerText(), /current/);
    await page.evaluate(() => document.getElementById('phase-panel-shadow')!.scrollIntoView({ block: 'start' }));
    await shot(page, 'plan-shadow', false);
    await page.close();
  });

  test('a bandit phase shows each arm with its share, rewards and guardrail, the mode and the allocation', async () => {
    const page = await signIn(tokens.viewer!);
    await page.goto(`${up.url}/ui/#/plans/default/${BANDIT_PLAN}`);
    const panel = page.getByRole('region', { name: 'Bandit allocation and rewards' });
    await panel.waitFor();
    const arms = panel.getByRole('table', { name: /Arms/ });
    await arms.waitFor();
    const rows = await arms.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 2, rows.join('\n'));
    // Each arm's always-valid interval has a column; none yet without rewards.
    assert.match(await arms.locator('thead').innerText(), /reward rate\s+interval\s+pending/);
    assert.match(rows[0]!, /^iris \(fallback\)/);
    assert.match(rows[1]!, /^iris-b\b/);
    assert.match(await panel.innerText(), /Algorithm\s+thompson/);
    assert.match(await panel.innerText(), /Learning from rewards|Held:/);
    await page.evaluate(() => document.getElementById('phase-panel-bandit')!.scrollIntoView({ block: 'start' }));
    await shot(page, 'plan-bandit', false);
    await page.close();
  });

  test('an A/B test shows its arms, the units toward the design size and what it has decided so far', async () => {
    const page = await signIn(tokens.viewer!);
    await page.goto(`${up.url}/ui/#/plans/default/${AB_PLAN}`);
    const panel = page.getByRole('region', { name: 'A/B report' });
    await panel.waitFor({ timeout: 90_000 });
    const rows = await panel.getByRole('table', { name: /Arms/ }).locator('tbody tr').allInnerTexts();
    assert.deepEqual(rows.map((r) => r.split(/\s/)[0]), ['baseline', 'candidate']);
    // 10 % → 12 % at α 0.05 and power 0.8: 3841 units per arm (power.prop.test).
    assert.match(await panel.locator('.meter-text').innerText(), /^0 of 3,841$/);
    assert.match(await panel.innerText(), /not enough units/);
    await page.close();
  });

  test('a viewer sees no controls, and a forged PATCH or POST with its token is refused (403); an operator outside the owner groups is told why', async () => {
    const page = await signIn(tokens.viewer!);
    await page.goto(`${up.url}/ui/#/plans/default/${PLAN}`);
    await page.getByRole('heading', { name: `TrafficPlan ${PLAN}` }).waitFor();
    await page.locator('article.gate').first().waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Controls' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Kill' }).count(), 0);
    // What a page could send anyway, with the token it holds.
    const forged = await page.evaluate(async (name) => {
      const token = sessionStorage.getItem('switchyard.token')!;
      const headers = { authorization: `Bearer ${token}` };
      const patch = await fetch(`/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans/${name}`, {
        method: 'PATCH', headers: { ...headers, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { annotations: { 'switchyard.dev/command': 'kill' } } }),
      });
      const post = await fetch('/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans', {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'forged' } }),
      });
      return { patch: patch.status, post: post.status, message: ((await patch.json()) as { message: string }).message };
    }, PLAN);
    assert.deepEqual([forged.patch, forged.post], [403, 403]);
    assert.match(forged.message, /viewer "viewer-ui" cannot patch/);
    assert.equal((await planStatus()).phase, 'Progressing', 'the forged kill changed nothing');
    await page.close();

    // An operator outside the plan's owner team and canHalt groups is told why, and offered nothing.
    const operator = await signIn(tokens.operator!);
    await operator.goto(`${up.url}/ui/#/plans/default/${PLAN}`);
    await operator.getByRole('heading', { name: 'Controls' }).waitFor();
    assert.match(await operator.locator('section.controls').innerText(), /Only this plan's owner team "ml-platform", the groups that may halt it \(sre\) or an admin may command it; your groups: none/);
    assert.equal(await operator.getByRole('button', { name: 'Kill' }).count(), 0);
    await operator.close();
  });

  test('the plan view follows windows live; Kill with a reason rolls back, returns the split to the baseline and shows the audit row', async () => {
    const page = await signIn(up.adminToken);
    await page.getByRole('link', { name: PLAN, exact: true }).click();
    await page.getByRole('heading', { name: `TrafficPlan ${PLAN}` }).waitFor();
    const chart = page.locator('article.gate[data-gate="errorRate"] .chart');
    await chart.waitFor();
    const points = async () => Number(await chart.getAttribute('data-points'));
    const before = await points();
    // Windows are 2 s: the chart gains a point from the watch, without a reload.
    await until('the errorRate chart to gain a point', async () => ((await points()) > before ? true : undefined), 10_000);
    assert.match(await page.locator('article.gate[data-gate="errorRate"] header').innerText(), /(pass|inconclusive)/, 'the verdict is a word, not a colour');
    await page.locator('.split .table-wrap table').waitFor();
    await shot(page, 'plan', false);
    await page.evaluate(() => document.getElementById('gates-heading')!.scrollIntoView({ block: 'start' }));
    await shot(page, 'plan-charts', false);
    await shot(page, 'plan-full');
    await page.evaluate(() => scrollTo(0, 0));

    // Escape cancels a command and gives focus back to its button.
    await page.getByRole('button', { name: 'Pause' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Pause');

    // Kill by keyboard alone: the reason field has the focus when the dialog opens.
    const status = await planStatus();
    await page.getByRole('button', { name: 'Kill', exact: true }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Kill ${PLAN}?` });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-reason');
    await page.keyboard.type('pager: p99 on checkout');
    await shot(page, 'plan-kill-dialog', false);
    // Watch the plan over the API too, to time how soon the page shows what the server says.
    const seen = await watchPhase(up, 'Aborted');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Kill plan');
    await page.keyboard.press('Enter');
    const serverAt = await seen.at;
    await page.locator('.title-row .badge').filter({ hasText: 'Aborted' }).waitFor({ timeout: 5000 });
    const shownAt = Date.now();
    assert.ok(shownAt - serverAt < 1000, `the page showed Aborted ${shownAt - serverAt} ms after the API's watch did`);

    const split = page.locator('.split tbody');
    await split.locator(`tr[data-revision="${status.baselineRevision}"]`).filter({ hasText: '100 %' }).waitFor();
    assert.match(await split.locator(`tr[data-revision="${status.candidateRevision}"]`).innerText(), /\b0 %/);
    const row = page.locator('table.audit tr[data-verb="plan/kill"]');
    await row.waitFor();
    assert.match(await row.innerText(), /admin:admin[\s\S]*Progressing → Aborted[\s\S]*pager: p99 on checkout/);
    assert.equal(await page.getByRole('button', { name: 'Kill', exact: true }).count(), 0, 'a finished plan offers no commands');
    await shot(page, 'plan-killed');
    const isvcNow = await api<{ spec: { predictor: { canaryTrafficPercent?: number } } }>('GET', '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris');
    assert.equal(isvcNow.body.spec.predictor.canaryTrafficPercent, 0, 'every request back on the baseline');
    await page.close();
  });
});

/** Once the API's own watch on the plan is open: when it delivers the plan in this phase (epoch ms). */
async function watchPhase(up: Up, phase: string): Promise<{ at: Promise<number> }> {
  const res = await apiFetch(up, `/apis/switchyard.dev/v1alpha1/namespaces/default/trafficplans?watch=true&fieldSelector=metadata.name=${PLAN}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const at = (async () => {
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the watch ended before the plan was ${phase}`);
      text += decoder.decode(value, { stream: true });
      if (text.split('\n').some((l) => l.includes(`"phase":"${phase}"`))) {
        const t = Date.now();
        await reader.cancel();
        return t;
      }
    }
  })();
  return { at };
}
