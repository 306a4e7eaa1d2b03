'use strict';
// Type-checks types-test/usage.ts against index.d.ts with the TypeScript compiler.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const packageDir = path.resolve(__dirname, '..');

test('indexDts_typeChecksTheUsageExamples', (t) => {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [packageDir] });
  } catch {
    t.skip('typescript (a devDependency) is not installed');
    return;
  }
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(packageDir, 'types-test')], { cwd: packageDir, encoding: 'utf8' });
  } catch (err) {
    assert.fail(`tsc found type errors:\n${err.stdout}${err.stderr}`);
  }
});
