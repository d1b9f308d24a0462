// @20minutes/s3rver ships no types; this covers what the S3 stand-in (local/standins.ts) uses.
declare module '@20minutes/s3rver' {
  import type { RequestListener } from 'node:http';
  interface S3rverOptions {
    /** Where buckets and objects are kept, one folder per bucket. */
    directory: string;
    silent?: boolean;
    /** Accept a request whose signature does not match (any credentials, as the other stand-ins do). */
    allowMismatchedSignatures?: boolean;
    /** Also read the bucket from the Host header (virtual-hosted style). */
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
  }
  interface FilesystemStore {
    putBucket(name: string): Promise<unknown>;
  }
  class S3rver {
    constructor(options: S3rverOptions);
    readonly store: FilesystemStore;
    /** The request listener (Koa's), to put behind a server of one's own. */
    callback(): RequestListener;
  }
  export = S3rver;
}
