// InferenceService fields + Knative annotations → KPA config, with problems for bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kpaConfigFromInferenceService } from '../../src/controllers/autoscaler/config.ts';
import { KPA_DEFAULTS, panicWindowSeconds, replicaBounds, resolveTarget } from '../../src/controllers/autoscaler/knobs.ts';

const A = 'autoscaling.knative.dev/';

test('an isvc with no autoscaling settings gets Knative defaults', () => {
  const { config, problems, ignored } = kpaConfigFromInferenceService({ minReplicas: 1 }, {});
  assert.deepEqual(problems, []);
  assert.deepEqual(ignored, []);
  assert.deepEqual(config, { ...KPA_DEFAULTS, minReplicas: 1 });
  assert.equal(resolveTarget(config).target, 70);
  assert.equal(panicWindowSeconds(config), 6);
  assert.deepEqual(replicaBounds(config), { min: 1, max: 8 });
});

test('component fields become the config (the seeds\' sklearn-iris example)', () => {
  const { config, problems } = kpaConfigFromInferenceService(
    { minReplicas: 0, maxReplicas: 5, scaleMetric: 'concurrency', scaleTarget: 5, containerConcurrency: 4 },
    { 'serving.kserve.io/deploymentMode': 'Serverless' },
  );
  assert.deepEqual(problems, []);
  assert.equal(config.mode, 'Knative');
  assert.equal(config.minReplicas, 0);
  assert.equal(config.maxReplicas, 5);
  assert.equal(resolveTarget(config).target, 2.8); // min(5, 4) × 0.7
  assert.deepEqual(replicaBounds(config), { min: 0, max: 5 });
});

test('annotations set the windows, thresholds and retention', () => {
  const { config, problems } = kpaConfigFromInferenceService({ scaleMetric: 'rps' }, {
    [`${A}target`]: '50',
    [`${A}target-utilization-percentage`]: '80',
    [`${A}window`]: '2m',
    [`${A}panic-window-percentage`]: '5',
    [`${A}panic-threshold-percentage`]: '150',
    [`${A}scale-to-zero-pod-retention-period`]: '1m30s',
  });
  assert.deepEqual(problems, []);
  assert.equal(config.metric, 'rps');
  assert.equal(resolveTarget(config).target, 40);
  assert.equal(config.stableWindowSeconds, 120);
  assert.equal(panicWindowSeconds(config), 6);
  assert.equal(config.panicThresholdPercentage, 150);
  assert.equal(config.scaleToZeroPodRetentionPeriodSeconds, 90);
});

test('fields win over the annotations KServe would derive from them; legacy camelCase keys are read', () => {
  const { config } = kpaConfigFromInferenceService(
    { minReplicas: 2, maxReplicas: 4, scaleTarget: 9, scaleMetric: 'concurrency' },
    { [`${A}minScale`]: '1', [`${A}max-scale`]: '10', [`${A}target`]: '100', [`${A}metric`]: 'rps', [`${A}panicWindowPercentage`]: '20' },
  );
  assert.equal(config.minReplicas, 2);
  assert.equal(config.maxReplicas, 4);
  assert.equal(config.target, 9);
  assert.equal(config.metric, 'concurrency');
  assert.equal(panicWindowSeconds(config), 12);
  const fromAnnotations = kpaConfigFromInferenceService({}, { [`${A}min-scale`]: '0', [`${A}maxScale`]: '3', [`${A}metric`]: 'rps' }).config;
  assert.equal(fromAnnotations.minReplicas, 0);
  assert.equal(fromAnnotations.maxReplicas, 3);
  assert.equal(fromAnnotations.metric, 'rps');
});

test('bad values become problems naming the key, and the default is kept', () => {
  const { config, problems } = kpaConfigFromInferenceService({ scaleMetric: 'gpu' }, {
    'serving.kserve.io/deploymentMode': 'Serverful',
    [`${A}target`]: 'lots',
    [`${A}window`]: '3s',
    [`${A}panic-window-percentage`]: '0',
    [`${A}panic-threshold-percentage`]: '100',
    [`${A}target-utilization-percentage`]: '120',
    [`${A}scale-to-zero-pod-retention-period`]: '-5s',
    [`${A}max-scale`]: '-1',
  });
  assert.deepEqual(problems, [
    'serving.kserve.io/deploymentMode: "Serverful" is not one of Knative, Serverless, Standard, RawDeployment',
    'spec.scaleMetric: "gpu" is not one of concurrency, rps',
    `${A}target: "lots" is not a number`,
    `${A}target-utilization-percentage: "120" must be between 1 and 100`,
    `${A}window: "3s" must be between 6s and 60m`,
    `${A}panic-window-percentage: "0" must be between 1 and 100`,
    `${A}panic-threshold-percentage: "100" must be between 110 and 1000`,
    `${A}scale-to-zero-pod-retention-period: "-5s" must be between 0s and 60m`,
    `${A}max-scale: "-1" must be a whole number ≥ 0`,
  ]);
  const { config: d } = kpaConfigFromInferenceService({}, {});
  assert.deepEqual(config, d, 'every bad value fell back to its default');
});

test('windows must be whole seconds; durations parse as Go does', () => {
  assert.deepEqual(kpaConfigFromInferenceService({}, { [`${A}window`]: '10.5s' }).problems, [`${A}window: "10.5s" must be whole seconds`]);
  assert.deepEqual(kpaConfigFromInferenceService({}, { [`${A}window`]: '1m30s' }).config.stableWindowSeconds, 90);
  assert.deepEqual(kpaConfigFromInferenceService({}, { [`${A}window`]: '60' }).problems, [`${A}window: "60" is not a duration (e.g. 60s, 2m, 1m30s)`]);
});

test('spec values out of range and maxReplicas below minReplicas are problems', () => {
  const bad = kpaConfigFromInferenceService({ minReplicas: -1, containerConcurrency: 5000 }, {});
  assert.equal(bad.problems.length, 2);
  assert.match(bad.problems[0]!, /^spec\.minReplicas: /);
  assert.match(bad.problems[1]!, /^spec\.containerConcurrency: /);
  const inverted = kpaConfigFromInferenceService({ minReplicas: 3, maxReplicas: 2 }, {});
  assert.deepEqual(inverted.problems, ['maxReplicas 2 is less than minReplicas 3; using maxReplicas 3']);
  assert.equal(inverted.config.maxReplicas, 3);
});

test('cpu and memory metrics need an HPA: reported, concurrency used', () => {
  const { config, problems } = kpaConfigFromInferenceService({ scaleMetric: 'cpu', scaleTarget: 65 }, { 'serving.kserve.io/deploymentMode': 'RawDeployment' });
  assert.equal(config.metric, 'concurrency');
  assert.equal(config.mode, 'Standard');
  assert.match(problems[0]!, /spec\.scaleMetric: "cpu" needs an HPA/);
});

test('Standard mode with minReplicas 0 keeps one replica, and says so', () => {
  const { config, ignored } = kpaConfigFromInferenceService({ minReplicas: 0 }, { 'serving.kserve.io/deploymentMode': 'Standard' });
  assert.deepEqual(replicaBounds(config), { min: 1, max: 8 });
  assert.match(ignored.join('\n'), /Standard \(RawDeployment\) mode never scales to zero/);
});

test('unsupported or unknown autoscaling annotations are listed as ignored, other annotations are not', () => {
  const { ignored, problems } = kpaConfigFromInferenceService({}, {
    [`${A}initial-scale`]: '2',
    [`${A}scale-down-delay`]: '15m',
    [`${A}class`]: 'hpa.autoscaling.knative.dev',
    [`${A}bogus`]: 'x',
    'example.com/other': 'y',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(ignored, [
    `${A}class: "hpa.autoscaling.knative.dev" — only the KPA runs locally`,
    `${A}initial-scale: only "0" (start a scale-to-zero revision at zero) is honoured locally`,
    `${A}scale-down-delay: not implemented by the local autoscaler`,
    `${A}bogus: not a Knative autoscaling annotation`,
  ]);
});

test('server-wide defaults and the default deployment mode come from options', () => {
  const { config } = kpaConfigFromInferenceService({ minReplicas: 0 }, {}, {
    defaults: { scaleToZeroGracePeriodSeconds: 10, localReplicaLimit: 4, maxScaleDownRate: 4 },
    defaultDeploymentMode: 'Standard',
  });
  assert.equal(config.mode, 'Standard');
  assert.equal(config.scaleToZeroGracePeriodSeconds, 10);
  assert.equal(config.maxScaleDownRate, 4);
  assert.deepEqual(replicaBounds(config), { min: 1, max: 4 });
});
