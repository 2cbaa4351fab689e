// Runtime selection as KServe does it: explicit name, autoSelect by format,
// version and protocol, priority, namespace before cluster, disabled skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRuntime } from '../../src/controllers/isvc/index.ts';
import type { RuntimeCandidate } from '../../src/controllers/isvc/index.ts';
import type { ServingRuntimeSpec } from '../../src/api/kinds/servingruntime.ts';

function rt(kind: RuntimeCandidate['kind'], name: string, formats: ServingRuntimeSpec['supportedModelFormats'], extra: Partial<ServingRuntimeSpec> = {}): RuntimeCandidate {
  return { kind, name, spec: { supportedModelFormats: formats, protocolVersions: ['v1', 'v2'], containers: [{ command: ['serve'] }], multiModel: false, disabled: false, ...extra } };
}

const onnxBuiltin = rt('ClusterServingRuntime', 'switchyard-onnx', [{ name: 'onnx', version: '1', autoSelect: true }]);

const pick = (req: Parameters<typeof selectRuntime>[0], runtimes: RuntimeCandidate[]) => {
  const s = selectRuntime(req, runtimes);
  return s.ok ? `${s.runtime.kind}/${s.runtime.name}` : `${s.reason}: ${s.message}`;
};

test('an onnx model auto-selects the built-in cluster runtime, with or without a format version', () => {
  assert.equal(pick({ format: { name: 'onnx' }, protocolVersion: 'v1' }, [onnxBuiltin]), 'ClusterServingRuntime/switchyard-onnx');
  assert.equal(pick({ format: { name: 'onnx', version: '1' }, protocolVersion: 'v2' }, [onnxBuiltin]), 'ClusterServingRuntime/switchyard-onnx');
});

test('a format version the runtime does not list is not supported', () => {
  assert.match(pick({ format: { name: 'onnx', version: '2' }, protocolVersion: 'v1' }, [onnxBuiltin]), /^NoSupportingRuntime: No ServingRuntime supports the model format "onnx\/2"/);
});

test('a format nobody supports names the format and lists the runtimes and their formats', () => {
  const s = selectRuntime({ format: { name: 'xgboost' }, protocolVersion: 'v1' }, [onnxBuiltin, rt('ClusterServingRuntime', 'off', [{ name: 'xgboost', autoSelect: true }], { disabled: true })]);
  assert.equal(s.ok, false);
  if (s.ok) return;
  assert.equal(s.reason, 'NoSupportingRuntime');
  assert.match(s.message, /No ServingRuntime supports the model format "xgboost"/);
  assert.match(s.message, /switchyard-onnx \(ClusterServingRuntime: onnx\/1; protocols v1, v2\)/);
  assert.doesNotMatch(s.message, /\boff\b/, 'a disabled runtime is not offered');
});

test('namespace runtimes come before cluster runtimes; within a scope the highest priority wins', () => {
  const runtimes = [
    rt('ClusterServingRuntime', 'cluster-high', [{ name: 'onnx', autoSelect: true, priority: 10 }]),
    rt('ServingRuntime', 'ns-low', [{ name: 'onnx', autoSelect: true, priority: 1 }]),
    rt('ServingRuntime', 'ns-high', [{ name: 'onnx', autoSelect: true, priority: 5 }]),
    onnxBuiltin,
  ];
  assert.equal(pick({ format: { name: 'onnx' }, protocolVersion: 'v1' }, runtimes), 'ServingRuntime/ns-high');
  assert.equal(pick({ format: { name: 'onnx' }, protocolVersion: 'v1' }, runtimes.filter((r) => r.kind === 'ClusterServingRuntime')), 'ClusterServingRuntime/cluster-high');
});

test('disabled runtimes, autoSelect false and unsupported protocols are skipped by auto-selection', () => {
  const runtimes = [
    rt('ServingRuntime', 'disabled', [{ name: 'onnx', autoSelect: true, priority: 9 }], { disabled: true }),
    rt('ServingRuntime', 'manual', [{ name: 'onnx', autoSelect: false }]),
    rt('ServingRuntime', 'v1-only', [{ name: 'onnx', autoSelect: true }], { protocolVersions: undefined }),
    onnxBuiltin,
  ];
  assert.equal(pick({ format: { name: 'onnx' }, protocolVersion: 'v2' }, runtimes), 'ClusterServingRuntime/switchyard-onnx');
  assert.equal(pick({ format: { name: 'onnx' }, protocolVersion: 'v1' }, runtimes), 'ServingRuntime/v1-only');
});

test('an explicit runtime is looked up in the namespace first, then the cluster, and need not auto-select', () => {
  const runtimes = [
    rt('ClusterServingRuntime', 'shared', [{ name: 'onnx', autoSelect: true }]),
    rt('ServingRuntime', 'shared', [{ name: 'onnx', autoSelect: false }]),
  ];
  assert.equal(pick({ format: { name: 'onnx' }, runtime: 'shared', protocolVersion: 'v1' }, runtimes), 'ServingRuntime/shared');
  assert.equal(pick({ format: { name: 'onnx' }, runtime: 'switchyard-onnx', protocolVersion: 'v1' }, [...runtimes, onnxBuiltin]), 'ClusterServingRuntime/switchyard-onnx');
});

test('an explicit runtime that is missing, disabled or unfit says so', () => {
  assert.match(pick({ format: { name: 'onnx' }, runtime: 'nope', protocolVersion: 'v1' }, [onnxBuiltin]), /^RuntimeNotRecognized: No ServingRuntimes or ClusterServingRuntimes with the name: nope/);
  const off = rt('ServingRuntime', 'off', [{ name: 'onnx' }], { disabled: true });
  assert.match(pick({ format: { name: 'onnx' }, runtime: 'off', protocolVersion: 'v1' }, [off]), /^RuntimeDisabled: /);
  assert.match(pick({ format: { name: 'sklearn' }, runtime: 'switchyard-onnx', protocolVersion: 'v1' }, [onnxBuiltin]), /^NoSupportingRuntime: Specified runtime switchyard-onnx does not support the model format "sklearn"/);
  assert.match(pick({ format: { name: 'onnx' }, runtime: 'switchyard-onnx', protocolVersion: 'grpc-v2' }, [onnxBuiltin]), /^NoSupportingRuntime: .*protocol version "grpc-v2"/);
});
