import { roleOf } from '../names';
import { constructPath, stringOf } from '../template';
import type { ResourceKind } from './kind';

/** S3's rule for bucket names: 3-63 characters of lower-case letters, digits, dots and hyphens. */
function bucketNameFrom(physicalName: string): string {
  const name = physicalName
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return name.length >= 3 ? name : `${name}-bucket`;
}

/**
 * S3 buckets, created in the S3 stand-in. What the bucket's properties configure (encryption,
 * versioning, lifecycle, Object Lock, access logging, public access block) is AWS's to enforce
 * and is not emulated: objects are kept as written until the stack stops.
 */
export const bucketKind: ResourceKind = {
  name: 'S3 bucket',
  types: ['AWS::S3::Bucket'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['BucketName']) ?? bucketNameFrom(deployment.physicalName(id, 63));
    const host = new URL(deployment.standins.endpoints.s3).host;
    return {
      ref: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${deployment.settings.region}.amazonaws.com`,
        DualStackDomainName: `${name}.s3.dualstack.${deployment.settings.region}.amazonaws.com`,
        WebsiteURL: `http://${host}/${name}`,
      },
    };
  },

  async start(id, resource, deployment) {
    const name = deployment.refs.get(id) ?? id;
    await deployment.standins.createBucket(name);
    const role = roleOf(resource);
    const path = constructPath(resource);
    deployment.buckets.push({
      logicalId: id,
      ...(role ? { role } : {}),
      ...(path ? { path } : {}),
      name,
      arn: deployment.attribute(id, 'Arn'),
    });
    return undefined;
  },
};

/** Bucket policies: resolved so templates refer to them, not enforced (the stand-in accepts any caller). */
export const bucketPolicyKind: ResourceKind = {
  name: 'S3 bucket policy',
  types: ['AWS::S3::BucketPolicy'],

  provide(id, _resource, deployment) {
    return { ref: deployment.physicalName(id, 128), attributes: {} };
  },
};
