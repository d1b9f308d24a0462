import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the function bundles (an esbuild alias
 * set by `VoltFunction`). Lambda always hands a function its role's credentials in the
 * environment, so the full chain (SSO, INI files, IMDS, web identity, and the STS/SSO clients
 * they pull in) is code that every cold start loads and never runs.
 */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => fromEnv(init);
