import { DEFAULT_ARCHIVE_PREFIX } from '../common/archive-record';
import { optionalEnv, requireEnv } from '../common/env';

/** Environment variable names, shared with the construct that sets them (`lib/constructs/delivery-archive.ts`). */
export const ARCHIVER_ENV = {
  /** The bucket the archive objects are written to. */
  bucket: 'ARCHIVE_BUCKET',
  /** The key prefix of the archive objects (ends in `/`). */
  prefix: 'ARCHIVE_PREFIX',
} as const;

export interface ArchiverConfig {
  readonly bucket: string;
  readonly prefix: string;
}

/** Reads the archiver's configuration; called once, at cold start. */
export function loadArchiverConfig(env: NodeJS.ProcessEnv = process.env): ArchiverConfig {
  return {
    bucket: requireEnv(ARCHIVER_ENV.bucket, env),
    prefix: optionalEnv(ARCHIVER_ENV.prefix, env) ?? DEFAULT_ARCHIVE_PREFIX,
  };
}
