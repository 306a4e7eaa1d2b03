'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { compare } = require('../scripts/sync-proto');

test('protoCopies_inRepository_matchTheContract', (t) => {
  const problems = compare();
  if (problems === null) {
    t.skip('not inside the repository: no protos/ to compare with');
    return;
  }
  assert.deepEqual(problems, [], 'run `npm run sync-proto` in clients/node and commit the copies');
});
