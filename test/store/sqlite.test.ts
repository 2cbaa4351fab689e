import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import { parseLabelSelector, matchesLabels } from '../../src/store/labels.ts';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.ts';
import { runStoreConformance } from './conformance.ts';
import type { KubeObject } from '../../src/store/types.ts';

const root = mkdtempSync(join(tmpdir(), 'sy-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(root, `db-${++counter}`, 'switchyard.db');

runStoreConformance('sqlite', async (opts = {}) => {
  const store = await openSqliteStore({ path: freshPath(), ...opts });
  return { store, cleanup: async () => {} };
});

const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const admin = { actor: { name: 'token:admin' } };
const obj = (name: string): KubeObject => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: 'default' }, spec: { n: name } });

describe('sqlite store', () => {
  test('uses WAL, synchronous=FULL and records its schema version', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path });
    await store.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(raw.prepare('SELECT version FROM schema_version').pluck().all(), [1]);
    raw.close();
  });

  test('objects, revisions, history and audit survive close and reopen', async () => {
    const path = freshPath();
    let store = await openSqliteStore({ path });
    const a = await store.create(ISVC, obj('a'), admin);
    const b = await store.create(ISVC, obj('b'), admin);
    await store.close();
    await store.close(); // closing twice is harmless

    store = await openSqliteStore({ path });
    assert.deepEqual(await store.get({ ...ISVC, namespace: 'default', name: 'a' }), a);
    const c = await store.create(ISVC, obj('c'), admin);
    assert.equal(Number(c.metadata.resourceVersion), Number(b.metadata.resourceVersion) + 1, 'revision continues');
    const events: string[] = [];
    await store.watch(ISVC, { resourceVersion: a.metadata.resourceVersion! }, (e) => events.push(e.object.metadata.name));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, ['b', 'c'], 'watch resumes from history written before the reopen');
    assert.deepEqual(await store.verifyAudit(), { ok: true, records: 3, problems: [] });
    await store.close();
  });

  test('a database from a newer Switchyard is refused with SY_ERR_STORE', async () => {
    const path = freshPath();
    await (await openSqliteStore({ path })).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_version (version, applied_at) VALUES (99, 'x')").run();
    raw.close();
    await assert.rejects(openSqliteStore({ path }), (err: { code: string; message: string }) => err.code === 'SY_ERR_STORE' && /99/.test(err.message));
  });

  test('SQLite failures surface as SY_ERR_STORE with the cause, and leave no half write', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path, busyTimeoutMs: 50 });
    await store.create(ISVC, obj('a'), admin);
    // Another connection holds the write lock: the write fails as busy.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    await assert.rejects(store.create(ISVC, obj('b'), admin), (err: { code: string; message: string; cause?: { code?: string } }) => {
      assert.equal(err.code, 'SY_ERR_STORE');
      assert.match(err.message, /SQLITE_BUSY/);
      assert.equal(err.cause?.code, 'SQLITE_BUSY');
      return true;
    });
    other.exec('ROLLBACK');
    other.close();
    assert.equal(await store.get({ ...ISVC, namespace: 'default', name: 'b' }), undefined);
    assert.equal((await store.listAudit()).length, 1);
    await store.close();


    // A file that is not a database (corruption, wrong path) fails to open the same way.
    const garbage = join(root, 'garbage.db');
    writeFileSync(garbage, 'this is not a database '.repeat(200));
    await assert.rejects(openSqliteStore({ path: garbage }), (err: { code: string; message: string }) => {
      assert.equal(err.code, 'SY_ERR_STORE');
      assert.match(err.message, /garbage\.db/);
      return true;
    });
  });

  describe('audit tampering through a raw connection', () => {
    async function storeWithLog(n: number): Promise<string> {
      const path = freshPath();
      const store = await openSqliteStore({ path });
      let o = await store.create(ISVC, obj('a'), admin);
      for (let i = 1; i < n; i++) o = await store.update(ISVC, { ...o, spec: { i } }, admin);
      assert.equal((await store.verifyAudit()).ok, true);
      await store.close();
      return path;
    }
    async function verify(path: string) {
      const store = await openSqliteStore({ path });
      try {
        return await store.verifyAudit();
      } finally {
        await store.close();
      }
    }
    function tamper(path: string, sql: string): void {
      const raw = new Database(path);
      raw.exec(sql);
      raw.close();
    }

    test('an edited row is reported by seq', async () => {
      const path = await storeWithLog(6);
      tamper(path, "UPDATE audit SET actor = 'token:mallory' WHERE seq = 3");
      const v = await verify(path);
      assert.equal(v.ok, false);
      assert.equal(v.problems.length, 1, v.problems.join('\n'));
      assert.match(v.problems[0]!, /^seq 3: .*edited/);
    });

    test('an edited row whose hash was recomputed breaks the next link', async () => {
      const path = await storeWithLog(6);
      tamper(path, "UPDATE audit SET hash = 'f00d' WHERE seq = 2");
      const v = await verify(path);
      assert.equal(v.ok, false);
      assert.ok(v.problems.some((p) => p.startsWith('seq 2:')), v.problems.join('\n'));
      assert.ok(v.problems.some((p) => p.startsWith('seq 3:') && /prev_hash/.test(p)), v.problems.join('\n'));
    });

    test('a deleted middle row is reported by seq', async () => {
      const path = await storeWithLog(6);
      tamper(path, 'DELETE FROM audit WHERE seq = 4');
      const v = await verify(path);
      assert.equal(v.ok, false);
      assert.equal(v.records, 5);
      assert.ok(v.problems.some((p) => /^seq 4: missing/.test(p)), v.problems.join('\n'));
    });

    test('deleting the last rows (truncation) is reported by seq', async () => {
      const path = await storeWithLog(6);
      tamper(path, 'DELETE FROM audit WHERE seq >= 5');
      const v = await verify(path);
      assert.equal(v.ok, false);
      assert.deepEqual(v.problems, ['seq 5..6: missing at the tail (log truncated; head is seq 6)']);
    });

    test('editing the last row is reported by seq', async () => {
      const path = await storeWithLog(3);
      tamper(path, "UPDATE audit SET verb = 'get' WHERE seq = 3");
      const v = await verify(path);
      assert.equal(v.ok, false);
      assert.ok(v.problems.some((p) => p.startsWith('seq 3:')), v.problems.join('\n'));
    });

    test('standalone records keep JSON-null evidence apart from no evidence and extend the chain', async () => {
      const path = await storeWithLog(2);
      const store = await openSqliteStore({ path });
      await store.appendAudit({ actor: 'a', verb: 'v', resource: 'r', evidence: null });
      const log = await store.listAudit();
      assert.equal(log[2]!.evidence, null, 'JSON null evidence round-trips');
      assert.equal('evidence' in log[0]!, false, 'absent evidence stays absent');
      assert.equal((await store.verifyAudit()).ok, true);
      await store.close();
    });
  });
});

describe('label selectors', () => {
  test('parse every Kubernetes operator', () => {
    assert.deepEqual(parseLabelSelector(''), []);
    assert.deepEqual(parseLabelSelector('  '), []);
    assert.deepEqual(parseLabelSelector('app=rank'), [{ key: 'app', operator: 'In', values: ['rank'] }]);
    assert.deepEqual(parseLabelSelector('app==rank'), [{ key: 'app', operator: 'In', values: ['rank'] }]);
    assert.deepEqual(parseLabelSelector('app!=rank'), [{ key: 'app', operator: 'NotIn', values: ['rank'] }]);
    assert.deepEqual(parseLabelSelector('env in (prod, dev)'), [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }]);
    assert.deepEqual(parseLabelSelector('env notin (qa)'), [{ key: 'env', operator: 'NotIn', values: ['qa'] }]);
    assert.deepEqual(parseLabelSelector('app.kubernetes.io/name'), [{ key: 'app.kubernetes.io/name', operator: 'Exists', values: [] }]);
    assert.deepEqual(parseLabelSelector('!canary'), [{ key: 'canary', operator: 'DoesNotExist', values: [] }]);
    assert.deepEqual(parseLabelSelector('a=,b'), [
      { key: 'a', operator: 'In', values: [''] },
      { key: 'b', operator: 'Exists', values: [] },
    ]);
    assert.deepEqual(parseLabelSelector('a = b , c in (x,y), !d,e!=f').map((r) => r.operator), ['In', 'In', 'DoesNotExist', 'NotIn']);
  });

  test('bad syntax is SY_ERR_BAD_REQUEST naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['=x', /expected a label key, found "="/],
      ['a in (x', /expected "," or "\)", found end of selector/],
      ['a in x', /expected "\(", found "x"/],
      ['a b', /expected "=", "==", "!=", "in" or "notin" after key "a", found "b"/],
      ['a=b c', /expected "," or end of selector, found "c"/],
      ['a,', /expected a label key, found end of selector/],
      ['a>1', /operator ">" is not supported/],
      ['-bad=x', /label key "-bad"/],
      ['Bad.Prefix/x=y', /prefix "Bad.Prefix"/],
      ['a=' + 'v'.repeat(64), /label value "v{64}"/],
      ['a=b=c', /expected "," or end of selector, found "="/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parseLabelSelector(input), (err: { code: string; message: string }) => {
        assert.equal(err.code, 'SY_ERR_BAD_REQUEST', input);
        assert.match(err.message, message, input);
        assert.ok(err.message.includes(input), 'the message quotes the selector');
        return true;
      });
    }
  });

  test('the audit namespace filter leaves out cluster-scoped records and matches the namespace as itself, not as a GLOB pattern', async () => {
    const store = await openSqliteStore({ path: freshPath() });
    for (const resource of ['/namespaces//risk', 'switchyard.dev/tokens//risk', 'switchyard.dev/trafficplans/ri*k/q', 'switchyard.dev/trafficplans/risk/p']) {
      await store.appendAudit({ actor: 'a', verb: 'create', resource });
    }
    const resources = async (namespace: string) => (await store.listAudit({ namespace })).map((r) => r.resource);
    assert.deepEqual(await resources('risk'), ['switchyard.dev/trafficplans/risk/p']);
    assert.deepEqual(await resources('ri*k'), ['switchyard.dev/trafficplans/ri*k/q']);
    assert.deepEqual(await resources('ri?k'), []);
    await store.close();
  });

  test('match with Kubernetes semantics: != and notin also match objects without the key', () => {
    const m = (s: string, labels?: Record<string, string>) => matchesLabels(parseLabelSelector(s), labels);
    assert.equal(m('app!=rank', {}), true);
    assert.equal(m('app!=rank', undefined), true);
    assert.equal(m('app!=rank', { app: 'rank' }), false);
    assert.equal(m('app notin (a,b)', { app: 'c' }), true);
    assert.equal(m('app in (a,b)', {}), false);
    assert.equal(m('app=a,tier', { app: 'a' }), false);
    assert.equal(m('app=a,tier', { app: 'a', tier: '' }), true);
    assert.equal(m('!tier', { tier: 'x' }), false);
    assert.equal(m('a=', { a: '' }), true);
    assert.equal(m('', { a: 'x' }), true);
    assert.equal(m('constructor', {}), false, 'inherited properties are not labels');
  });
});

describe('canonical JSON', () => {
  test('sorts keys at every depth and drops whitespace, so equal values hash equal', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'é' }], c: undefined } }), '{"a":{"d":[1,{"y":"é","z":null}]},"b":1}');
    assert.equal(sha256Hex({ x: 1, y: 2 }), sha256Hex({ y: 2, x: 1 }));
    assert.notEqual(sha256Hex({ x: 1 }), sha256Hex({ x: '1' }));
    // sha256 of the 5 bytes "abc" including the JSON quotes.
    assert.equal(sha256Hex('abc'), '6cc43f858fbb763301637b5af970e2a46b46f461f27e5a0f41e009c59b827b25');
    assert.equal(canonicalJson([undefined, NaN, new Date(0)]), '[null,null,"1970-01-01T00:00:00.000Z"]');
  });
});
