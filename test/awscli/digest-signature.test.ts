/**
 * The digest core against the real reference: the AWS CLI's own validator
 * (`awscli.customizations.cloudtrail.validation.Sha256RSADigestValidator`, the code behind
 * `aws cloudtrail validate-logs`) gives the same verdict as `verifyDigestSignature` on digests signed
 * here as CloudTrail signs them. Needs the AWS CLI v1 (Python): run by `npm run test:awscli`, which
 * CI runs; `npm test` does not, so that a machine with only Node and npm passes it.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readDigest, stringToSign, verifyDigestSignature, type Digest } from '../../lambdas/shared/digest';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEY = publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64');
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ format: 'der', type: 'pkcs1' })
  .toString('base64');

interface Case {
  readonly name: string;
  readonly inflated: string;
  readonly signature: string;
  readonly key: string;
}

function signed(hour: number, previousSignature: string | null): { inflated: string; signature: string } {
  const fields = {
    digestStartTime: `2026-12-01T0${hour - 1}:00:00Z`,
    digestEndTime: `2026-12-01T0${hour}:00:00Z`,
    digestS3Bucket: 'trail-bucket',
    digestS3Object: `AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/12/01/d${hour}.json.gz`,
    digestPublicKeyFingerprint: 'f00d',
    previousDigestSignature: previousSignature,
    logFiles: [{ s3Bucket: 'trail-bucket', s3Object: 'AWSLogs/x.json.gz', hashValue: 'ab'.repeat(32) }],
  };
  const inflated = JSON.stringify(fields);
  const digest = ours(inflated, '00');
  return {
    inflated,
    signature: sign('sha256', Buffer.from(stringToSign(digest, Buffer.from(inflated))), privateKey).toString(
      'hex',
    ),
  };
}

function ours(inflated: string, signature: string): Digest {
  const fields = JSON.parse(inflated) as { digestS3Bucket: string; digestS3Object: string };
  return readDigest(
    Buffer.from(inflated),
    { signature, 'signature-algorithm': 'SHA256withRSA' },
    {
      bucket: fields.digestS3Bucket,
      key: fields.digestS3Object,
    },
  );
}

function ourVerdict(c: Case): string {
  try {
    verifyDigestSignature(ours(c.inflated, c.signature), Buffer.from(c.inflated), c.key);
    return 'valid';
  } catch {
    return 'invalid';
  }
}

/** The AWS CLI's validator on every case, in one Python process. */
function referenceVerdicts(cases: readonly Case[]): string[] {
  const script = `
import json, sys
from awscli.customizations.cloudtrail.validation import Sha256RSADigestValidator, DigestError
out = []
for c in json.load(sys.stdin):
    data = json.loads(c['inflated'])
    data['_signature'] = c['signature']
    try:
        Sha256RSADigestValidator().validate(data['digestS3Bucket'], data['digestS3Object'], c['key'], data, c['inflated'].encode())
        out.append('valid')
    except DigestError:
        out.append('invalid')
print(json.dumps(out))
`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`the AWS CLI's validator could not run (is the AWS CLI v1 installed?): ${run.stderr}`);
  return JSON.parse(run.stdout) as string[];
}

test('our verdicts equal the AWS CLI validator on valid, chained, edited, re-signed and foreign-key digests', () => {
  // Prepare
  const first = signed(1, null);
  const second = signed(2, first.signature);
  const flip = (hex: string) => `${hex.slice(0, -2)}${hex.endsWith('00') ? '01' : '00'}`;
  const cases: Case[] = [
    { name: 'valid, first of a chain', ...first, key: KEY },
    { name: 'valid, chained', ...second, key: KEY },
    {
      name: 'content edited',
      inflated: first.inflated.replace('x.json.gz', 'y.json.gz'),
      signature: first.signature,
      key: KEY,
    },
    { name: 'signature changed', inflated: first.inflated, signature: flip(first.signature), key: KEY },
    { name: "another digest's signature", inflated: second.inflated, signature: first.signature, key: KEY },
    { name: 'another key', ...first, key: OTHER_KEY },
  ];

  // Act
  const reference = referenceVerdicts(cases);
  const mine = cases.map(ourVerdict);

  // Assess
  expect(mine).toEqual(reference);
  expect(mine).toEqual(['valid', 'valid', 'invalid', 'invalid', 'invalid', 'invalid']);
});
