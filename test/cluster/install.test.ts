// `kubectl apply -k deploy/` against a real API server: every manifest of the
// install (CRD, namespace, RBAC, the controller's Deployment, the sink's
// StatefulSet and Service) is accepted by the server's own validation, and the
// controller is pointed at the sink it installs. Nothing runs them (no nodes):
// what is checked is that a user's first command succeeds and wires the parts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NEEDS_CONTROL_PLANE, ROOT, startControlPlane, type ControlPlane } from './control-plane.ts';

describe('kubectl apply -k deploy/', { skip: NEEDS_CONTROL_PLANE, concurrency: false }, () => {
  let cp: ControlPlane;
  const json = (args: string[]) => JSON.parse(cp.kubectl([...args, '-o', 'json']).stdout);

  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  test('is accepted whole by the API server, and applying it again rolls nothing out', () => {
    const first = cp.kubectl(['apply', '-k', join(ROOT, 'deploy')]);
    assert.match(first.stdout, /statefulset.apps\/switchyard-sink created/);
    assert.match(first.stdout, /deployment.apps\/switchyard-controller created/);
    const generations = () => ['deployment/switchyard-controller', 'statefulset/switchyard-sink'].map((o) => json(['get', o, '-n', 'switchyard-system']).metadata.generation as number);
    const before = generations();
    const again = cp.kubectl(['apply', '-k', join(ROOT, 'deploy')]);
    assert.doesNotMatch(again.stdout, /created/, again.stdout);
    // kubectl reports the StatefulSet "configured" each time (its volumeClaimTemplates list has no merge
    // key, so client-side apply sends it whole against the server-defaulted copy), but nothing changes.
    assert.deepEqual(generations(), before);
  });

  test('the controller reads the sink the install creates, and the sink takes feedback tokens from its Secret', () => {
    const controller = json(['get', 'deployment', 'switchyard-controller', '-n', 'switchyard-system']);
    const args: string[] = controller.spec.template.spec.containers[0].args;
    const service = json(['get', 'service', 'switchyard-sink', '-n', 'switchyard-system']);
    const port = service.spec.ports[0].port as number;
    assert.equal(args[args.indexOf('--sink-url') + 1], `http://${service.metadata.name}.${service.metadata.namespace}:${port}`);

    const sink = json(['get', 'statefulset', 'switchyard-sink', '-n', 'switchyard-system']);
    const pod = sink.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(sink.spec.replicas, 1, 'one replica: its prediction log is a SQLite file');
    assert.equal(container.ports[0].containerPort, 8080);
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(sink.spec.template.metadata.labels[k], v, `the Service selects the sink's pods by ${k}`);
    const tokensFile: string = container.args[container.args.indexOf('--feedback-tokens-file') + 1];
    const mount = container.volumeMounts.find((m: { mountPath: string }) => tokensFile.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount?.name);
    assert.equal(volume?.secret?.secretName, 'switchyard-feedback-tokens');
    assert.equal(volume?.secret?.optional, true, 'without the Secret the sink still starts (and takes no feedback)');
    const dataDir: string = container.args[container.args.indexOf('--data-dir') + 1];
    const data = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === dataDir);
    assert.ok(sink.spec.volumeClaimTemplates.some((t: { metadata: { name: string } }) => t.metadata.name === data?.name), 'the data dir is on a claimed volume');
  });
});
