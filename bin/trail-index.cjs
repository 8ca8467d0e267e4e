#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher */
// The CLI is TypeScript, run through tsx so that it imports the same modules as the Lambda
// (schema, indexer core) without a build step.
const path = require('node:path');

require('tsx/cjs/api').register();

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
