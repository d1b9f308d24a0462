import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { STACK_OUTPUTS } from '../../../lib/stack-outputs';
import { archiveBucket } from '../../../local/model';
import { startLocalStack, type LocalStackEvent } from '../../../local/stack';
import { writeAssembly } from '../../helpers/local-assembly';

// A stack given an existing bucket for its archive (`-c archiveBucket=...`) has no bucket resource
// for it: on AWS the bucket exists already. Locally nothing would create it, and every archive
// write would fail into the archive's DLQ, so the runner creates it empty in the S3 stand-in.

function assemblyWith(outputs: Record<string, unknown>, resources: Record<string, unknown> = {}): string {
  return writeAssembly({ Resources: { Placeholder: { Type: 'AWS::SQS::Queue' }, ...resources }, Outputs: outputs });
}

test('an archive bucket passed in is created empty in the S3 stand-in, with the archive role', async () => {
  const outdir = assemblyWith({ [STACK_OUTPUTS.archiveBucketName]: { Value: 'their-archive' } });
  const events: LocalStackEvent[] = [];
  const stack = await startLocalStack({ cdkOut: outdir, eventSources: false, onEvent: (e) => events.push(e) });
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: stack.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    expect(archiveBucket(stack)?.name).toBe('their-archive');
    await s3.send(new HeadBucketCommand({ Bucket: 'their-archive' }));
    await s3.send(new PutObjectCommand({ Bucket: 'their-archive', Key: 'deliveries/x', Body: 'x' }));
    expect(events).toContainEqual({
      kind: 'info',
      message: 'archive bucket their-archive was passed in (archiveBucket): created empty in the S3 stand-in',
    });
  } finally {
    s3.destroy();
    await stack.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('a bucket the template creates is not created twice, and a stack without an archive gets none', async () => {
  const withBucket = assemblyWith(
    { [STACK_OUTPUTS.archiveBucketName]: { Value: { Ref: 'Archive' } } },
    { Archive: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'own-archive' } } },
  );
  const without = assemblyWith({});
  const stacks = [
    await startLocalStack({ cdkOut: withBucket, eventSources: false }),
    await startLocalStack({ cdkOut: without, eventSources: false }),
  ];
  try {
    expect(stacks[0]!.buckets.map((b) => b.name)).toEqual(['own-archive']);
    expect(stacks[1]!.buckets).toEqual([]);
  } finally {
    for (const stack of stacks) await stack.stop();
    rmSync(withBucket, { recursive: true, force: true });
    rmSync(without, { recursive: true, force: true });
  }
});
