// Browser tests (headless Chromium through playwright-core): their own config, run by
// `npm run test:browser`, so `npm test` needs no browser. Needs /usr/bin/chromium (or CHROMIUM_PATH).
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    },
  ],
};
