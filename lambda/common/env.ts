import { ConfigurationError } from './errors';

/**
 * Reads a required environment variable once (call it at module scope, at cold start).
 * Throws instead of falling back to an empty string, so a miswired function fails loudly.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads an optional environment variable; `undefined` when absent or blank. */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads a required environment variable holding JSON. */
export function requireJsonEnv<T>(name: string, env: NodeJS.ProcessEnv = process.env): T {
  const raw = requireEnv(name, env);
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new ConfigurationError(`environment variable ${name} is not valid JSON`);
  }
}
