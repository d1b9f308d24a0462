#!/usr/bin/env node
// Entry of the `volt-webhooks` bin. It runs the CLI's one-file build (dist/cli/volt-webhooks.cjs,
// made by `npm run build`, which `npm ci` runs), because starting TypeScript through tsx costs
// every call about a second. In a source checkout, where cli/main.ts exists, it checks the build
// against the sources it was made from and runs the sources through tsx instead when one of them
// is newer or the build is missing, so a local edit is always what runs.
'use strict';
const { existsSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');

// The SDK warns on every call on Node < 22 (its January 2027 support change); that belongs in the
// README, not in every command's output. Set the variable to "false" to see the warning again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node 22.1+ keeps compiled code between runs; a no-op on older Node.
require('node:module').enableCompileCache?.();

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'dist', 'cli', 'volt-webhooks.cjs');

/** Why the sources must run instead of the build, or undefined when the build is current. */
function staleReason() {
  if (!existsSync(path.join(__dirname, 'main.ts'))) return undefined; // the installed package: no sources
  if (!existsSync(bundle)) return 'there is no build yet';
  const builtAt = statSync(bundle).mtimeMs;
  const inputsFile = path.join(root, 'dist', 'cli', 'inputs.json');
  const inputs = existsSync(inputsFile) ? JSON.parse(readFileSync(inputsFile, 'utf8')) : [];
  const changed = inputs.find((input) => {
    const file = path.join(root, input);
    return !existsSync(file) || statSync(file).mtimeMs > builtAt;
  });
  return changed === undefined ? undefined : `${changed} changed since the last build`;
}

let main;
const reason = staleReason();
if (reason === undefined) {
  ({ main } = require(bundle));
} else {
  console.error(`volt-webhooks: running from source (${reason}); \`npm run build\` makes it start fast again`);
  require('tsx/cjs');
  ({ main } = require('./main.ts'));
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
