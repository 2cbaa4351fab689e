import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatTable, type Table } from '../../src/cli/table.ts';

const table: Table = {
  kind: 'Table',
  columnDefinitions: [
    { name: 'Name', type: 'string', priority: 0 },
    { name: 'URL', type: 'string', priority: 0 },
    { name: 'Ready', type: 'string', priority: 0 },
    { name: 'LatestReadyRevision', type: 'string', priority: 1 },
    { name: 'Age', type: 'date', priority: 0 },
  ],
  rows: [
    { cells: ['sklearn-iris', 'http://sklearn-iris.default.example.com', 'True', 'sklearn-iris-predictor-00001', '5m'], object: { metadata: { name: 'sklearn-iris', namespace: 'default' } } },
    { cells: ['r', null, 'False', '', '12s'], object: { metadata: { name: 'r', namespace: 'search' } } },
  ],
};

test('headers are upper-cased and columns separated by at least 3 spaces, aligned on the widest cell', () => {
  assert.equal(
    formatTable(table),
    [
      'NAME           URL                                       READY   AGE',
      'sklearn-iris   http://sklearn-iris.default.example.com   True    5m',
      'r              <none>                                    False   12s',
    ].join('\n'),
  );
});

test('priority columns appear only with wide output', () => {
  const wide = formatTable(table, { wide: true }).split('\n');
  assert.match(wide[0]!, /READY   LATESTREADYREVISION            AGE$/);
  assert.match(wide[1]!, /True    sklearn-iris-predictor-00001   5m$/);
});

test('-A adds a NAMESPACE column from each row object; --no-headers drops the header', () => {
  const lines = formatTable(table, { withNamespace: true, noHeaders: true }).split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines[0]!.startsWith('default   sklearn-iris   '));
  assert.ok(lines[1]!.startsWith('search    r              '));
});

test('no line ends in padding', () => {
  for (const line of formatTable(table, { wide: true }).split('\n')) assert.equal(line, line.trimEnd());
});
