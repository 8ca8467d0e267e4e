#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher */
// The CLI is TypeScript, run through tsx so that it imports the same modules as the Lambda
// (schema, indexer core) without a build step.
const path = require('node:path');

require('tsx/cjs/api').register();

// The AWS SDK warns on every run that its 2027 releases will need Node 22. It is not actionable
// for someone running this CLI (package.json pins the SDK), so only that warning is dropped.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning && warning.message;
  if (typeof text === 'string' && text.startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

const { main } = require(path.join(__dirname, '..', 'cli', 'main.ts'));

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`trail-index: unexpected failure: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
