#!/usr/bin/env node
// Runs the tests that exercise the runtime (the scanner, the indexer against the emulators, the
// deployed bundle, the CLI) again on Node 24, the Lambda runtime's Node (nodejs24.x), whatever Node
// runs npm. The binary comes from the npm registry's node-<platform>-<arch> package, pinned below,
// installed once into node_modules/.cache (npm ci clears it with node_modules).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const NODE_VERSION = '24.22.3';
const ROOT = join(import.meta.dirname, '..');
const TESTS = [
  'test/scanner/',
  'test/indexer/.*[.]integration[.]test',
  'test/cli/',
  'test/verifier/',
  'test/alerts/',
  'test/backfill/',
  'test/harness/node-version',
];

/** The registry package that holds the Node binary for this machine. */
function platformPackage() {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (platform === undefined || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(
      `no Node ${NODE_VERSION} package for ${process.platform}-${process.arch} on the npm registry`,
    );
  }
  return `node-${platform}-${process.arch}`;
}

function node24() {
  if (process.versions.node === NODE_VERSION) return process.execPath;
  const name = platformPackage();
  const prefix = join(ROOT, 'node_modules', '.cache', 'trail-index-node', NODE_VERSION);
  const binary = join(
    prefix,
    'node_modules',
    name,
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node',
  );
  if (!existsSync(binary)) {
    process.stderr.write(`Installing Node ${NODE_VERSION} (${name}) from the npm registry into ${prefix}\n`);
    const npm = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        `${name}@${NODE_VERSION}`,
      ],
      { stdio: 'inherit', shell: process.platform === 'win32' },
    );
    if (npm.status !== 0 || !existsSync(binary)) throw new Error(`could not install ${name}@${NODE_VERSION}`);
  }
  return binary;
}

const binary = node24();
const jest = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const run = spawnSync(binary, [jest, '--testPathPatterns', ...TESTS], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, TRAIL_INDEX_EXPECT_NODE: NODE_VERSION },
});
process.exit(run.status ?? 1);
