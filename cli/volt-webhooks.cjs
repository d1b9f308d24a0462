#!/usr/bin/env node
// Entry of the `volt-webhooks` bin: runs the TypeScript CLI through tsx, with no build step.
require('tsx/cjs');
const { main } = require('./main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
