import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Deployment } from '../../../../local/deployment';
import { deploy } from '../../../../local/engine';
import { FALLBACK_KIND, RESOURCE_KINDS } from '../../../../local/resources';
import { startStandins } from '../../../../local/standins';
import type { CfnTemplate } from '../../../../local/template';

// A template's buckets are created in the S3 stand-in under S3-valid names, with their role, and
// resolve the Ref/GetAtt values CloudFormation documents; bucket policies only resolve.

const template: CfnTemplate = {
  Resources: {
    ArchiveBucket1234ABCD: {
      Type: 'AWS::S3::Bucket',
      Metadata: { 'volt-webhooks:role': 'archiveBucket', 'aws:cdk:path': 'Stack/Archive/Bucket/Resource' },
    },
    Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'given-name' } },
    Policy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: { Bucket: { Ref: 'ArchiveBucket1234ABCD' }, PolicyDocument: {} },
    },
  },
  Outputs: {},
};

test('buckets are created in the stand-in, named as S3 allows, and found by role', async () => {
  const standins = await startStandins({ region: 'eu-west-1', accountId: '000000000000' });
  const deployment = new Deployment(
    { stackName: 'VoltSmsWebhooks', outdir: '.', template, assets: new Map() },
    { region: 'eu-west-1', accountId: '000000000000', host: '127.0.0.1', options: { cdkOut: '.' } },
    standins,
  );
  const s3 = new S3Client({
    region: 'eu-west-1',
    endpoint: standins.s3Endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await deploy(deployment, RESOURCE_KINDS, FALLBACK_KIND);
    // Buckets start concurrently, so the list's order is the order they finished in.
    const archive = deployment.buckets.find((b) => b.logicalId === 'ArchiveBucket1234ABCD');
    const named = deployment.buckets.find((b) => b.logicalId === 'Named');
    expect(deployment.buckets).toHaveLength(2);
    expect(archive).toEqual({
      logicalId: 'ArchiveBucket1234ABCD',
      role: 'archiveBucket',
      path: 'Stack/Archive/Bucket/Resource',
      name: 'voltsmswebhooks-archivebucket1234abcd',
      arn: 'arn:aws:s3:::voltsmswebhooks-archivebucket1234abcd',
    });
    expect(named?.name).toBe('given-name');
    expect(deployment.attribute('ArchiveBucket1234ABCD', 'RegionalDomainName')).toBe(
      'voltsmswebhooks-archivebucket1234abcd.s3.eu-west-1.amazonaws.com',
    );
    for (const bucket of deployment.buckets) await s3.send(new HeadBucketCommand({ Bucket: bucket.name }));
    await s3.send(new PutObjectCommand({ Bucket: 'given-name', Key: 'k', Body: 'x' }));
    expect(deployment.refs.get('Policy')).toEqual(expect.any(String));
  } finally {
    s3.destroy();
    await deployment.stopAll();
  }
});
