// Three projects so each layer can be run alone: `npx jest --selectProjects unit`.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  // Two worker processes, even on a 2-core machine, where jest would otherwise run every file in
  // one process: there, state one file leaves in Node's shared core modules reached another, and a
  // run hung idle after 48 files (CI, 2026-11-29). Separate workers, recycled when they grow,
  // keep the files apart; most files wait on sockets, so two also finish sooner.
  maxWorkers: 2,
  workerIdleMemoryLimit: '512MB',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
};
