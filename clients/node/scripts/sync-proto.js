#!/usr/bin/env node
'use strict';
// Copies the contract (protos/sidecar/v1/*.proto at the repository root) into proto/sidecar/v1/
// so the published package is self-contained. The copies are committed.
//
//   node scripts/sync-proto.js          copy (npm run sync-proto)
//   node scripts/sync-proto.js --check  exit 1 when a copy is missing or differs
//
// Outside the repository (an installed package) there is no source to compare with: both modes
// then do nothing.
const fs = require('node:fs');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');
const sourceDir = path.resolve(packageDir, '..', '..', 'protos', 'sidecar', 'v1');
const targetDir = path.join(packageDir, 'proto', 'sidecar', 'v1');

/** Returns the list of problems (empty when the copies are fresh), or null outside the repo. */
function compare() {
  if (!fs.existsSync(sourceDir)) return null;
  const problems = [];
  const sources = fs.readdirSync(sourceDir).filter((f) => f.endsWith('.proto')).sort();
  for (const file of sources) {
    const target = path.join(targetDir, file);
    if (!fs.existsSync(target)) {
      problems.push(`missing copy: proto/sidecar/v1/${file}`);
    } else if (!fs.readFileSync(target).equals(fs.readFileSync(path.join(sourceDir, file)))) {
      problems.push(`stale copy: proto/sidecar/v1/${file}`);
    }
  }
  if (fs.existsSync(targetDir)) {
    for (const file of fs.readdirSync(targetDir)) {
      if (file.endsWith('.proto') && !sources.includes(file)) {
        problems.push(`copy without a source: proto/sidecar/v1/${file}`);
      }
    }
  }
  return problems;
}

function sync() {
  if (!fs.existsSync(sourceDir)) return false;
  fs.mkdirSync(targetDir, { recursive: true });
  const sources = fs.readdirSync(sourceDir).filter((f) => f.endsWith('.proto'));
  for (const file of fs.readdirSync(targetDir)) {
    if (file.endsWith('.proto') && !sources.includes(file)) fs.rmSync(path.join(targetDir, file));
  }
  for (const file of sources) {
    fs.copyFileSync(path.join(sourceDir, file), path.join(targetDir, file));
  }
  return true;
}

module.exports = { compare, sync, sourceDir, targetDir };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const problems = compare();
    if (problems === null) {
      console.log('sync-proto: no repository protos here; nothing to check');
    } else if (problems.length > 0) {
      console.error(`sync-proto: ${problems.join('; ')}. Run \`npm run sync-proto\` in clients/node and commit.`);
      process.exit(1);
    } else {
      console.log('sync-proto: proto copies are fresh');
    }
  } else if (sync()) {
    console.log(`sync-proto: copied ${path.relative(packageDir, sourceDir)} -> proto/sidecar/v1`);
  } else {
    console.log('sync-proto: no repository protos here; nothing to copy');
  }
}
