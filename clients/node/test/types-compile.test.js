'use strict';
// Type-checks the usage examples against the package's declarations with the TypeScript compiler:
// as CommonJS (types-test/, index.d.ts) and as an ES module (types-test/esm/, module nodenext,
// resolved through the "exports" map to index.d.mts).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const packageDir = path.resolve(__dirname, '..');

for (const [name, project] of [['commonJs', 'types-test'], ['esModule', 'types-test/esm']]) {
  test(`indexDts_${name}_typeChecksTheUsageExamples`, (t) => {
    let tsc;
    try {
      tsc = require.resolve('typescript/bin/tsc', { paths: [packageDir] });
    } catch {
      t.skip('typescript (a devDependency) is not installed');
      return;
    }
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(packageDir, project)], { cwd: packageDir, encoding: 'utf8' });
    } catch (err) {
      assert.fail(`tsc found type errors in ${project}:\n${err.stdout}${err.stderr}`);
    }
  });
}
