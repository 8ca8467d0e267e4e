/**
 * `cdk synth` as a user runs it: through the CDK CLI, bundling the indexer with the local esbuild,
 * with no AWS credentials, no instance metadata and every network attempt recorded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/config';

const ROOT = path.join(__dirname, '..', '..');

/** The environment of a machine with no AWS configuration at all. */
function offlineEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AWS_') || key.startsWith('CDK_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Point shared config at nothing, so no profile on this machine can supply credentials.
    AWS_CONFIG_FILE: path.join(tmpdir(), 'trail-index-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'trail-index-no-aws-credentials'),
    ...extra,
  };
}

let workDir: string;

/** `cdk synth` through the CDK CLI as a user runs it, offline, every network attempt recorded. */
function synthOffline(name: string, args: readonly string[] = [], extraEnv: Record<string, string> = {}) {
  const outDir = path.join(workDir, `cdk.out.${name}`);
  const networkLog = path.join(workDir, `network.${name}.log`);
  const env = offlineEnv({
    ...extraEnv,
    NODE_OPTIONS: `--import ${pathToFileURL(path.join(__dirname, 'no-network.mjs')).href}`,
    TRAIL_INDEX_NETWORK_LOG: networkLog,
  });
  const result = spawnSync('npx', ['cdk', 'synth', '-q', '--output', outDir, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 170_000,
  });
  return {
    outcome: { status: result.status, stderr: result.status === 0 ? '' : result.stderr },
    network: existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '',
    template: (): unknown =>
      JSON.parse(readFileSync(path.join(outDir, `${DEFAULT_STACK_NAME}.template.json`), 'utf8')),
    outDir,
  };
}

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'trail-index-synth-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('cdk synth', () => {
  it('synthesizes and bundles offline, with no credentials and no network attempt', () => {
    // Act
    const synth = synthOffline('created');

    // Assess
    expect(synth.outcome).toEqual({ status: 0, stderr: '' });
    expect(synth.network).toBe('');
    const template = synth.template() as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const indexer = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const assetHash = indexer?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    expect(assetHash).toMatch(/^[0-9a-f]{64}$/);
    const bundle = path.join(synth.outDir, `asset.${assetHash}`, 'index.js');
    expect(statSync(bundle).size).toBeGreaterThan(0);
    expect(existsSync(`${bundle}.map`)).toBe(true);
  }, 180_000);

  it('synthesizes attached to an existing trail too, offline, with no trail or bucket in the template', () => {
    // Prepare
    const context = [
      'existingLogBucket=aws-controltower-logs-999999999999-us-east-1',
      'existingLogBucketAccount=999999999999',
      'existingLogKeyPrefix=o-abcd123456',
      'notificationPath=s3-sqs',
      'indexedAccounts=111122223333,444455556666',
    ].flatMap((pair) => ['-c', pair]);

    // Act
    const synth = synthOffline('attached', context);

    // Assess
    expect(synth.outcome).toEqual({ status: 0, stderr: '' });
    expect(synth.network).toBe('');
    const template = synth.template() as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::CloudTrail::Trail');
    // One bucket: the distributed backfill's results, no log bucket.
    expect(types.filter((type) => type === 'AWS::S3::Bucket')).toHaveLength(1);
    expect(types).toContain('AWS::Lambda::EventSourceMapping');
  }, 180_000);

  it('adds a forwarding stack for each other alert region, which cdk deploy --all deploys after the main one', () => {
    // Act: a region from the environment, as with credentials configured.
    const synth = synthOffline('regions', ['-c', 'alertRegions=us-east-1,eu-west-1,ap-southeast-2'], {
      AWS_REGION: 'us-east-1',
    });

    // Assess
    expect(synth.outcome).toEqual({ status: 0, stderr: '' });
    expect(synth.network).toBe('');
    const manifest = JSON.parse(readFileSync(path.join(synth.outDir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string; dependencies?: string[] }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(
      ([, a]) => a.type === 'aws:cloudformation:stack',
    );
    expect(stacks.map(([id, a]) => [id, a.environment]).sort()).toEqual([
      [DEFAULT_STACK_NAME, 'aws://unknown-account/unknown-region'],
      [`${DEFAULT_STACK_NAME}-Alerts-ap-southeast-2`, 'aws://unknown-account/ap-southeast-2'],
      [`${DEFAULT_STACK_NAME}-Alerts-eu-west-1`, 'aws://unknown-account/eu-west-1'],
    ]);
    expect(manifest.artifacts[`${DEFAULT_STACK_NAME}-Alerts-eu-west-1`]?.dependencies).toContain(
      DEFAULT_STACK_NAME,
    );
    const forwarding = JSON.parse(
      readFileSync(path.join(synth.outDir, `${DEFAULT_STACK_NAME}-Alerts-eu-west-1.template.json`), 'utf8'),
    ) as unknown;
    expect(JSON.stringify(forwarding)).toContain(':events:us-east-1:');
  }, 180_000);

  it('stops with one message naming every bad context option', () => {
    // Prepare: the app itself, as the CLI runs it, with context the way the CLI passes it.
    const env = offlineEnv({
      CDK_OUTDIR: path.join(workDir, 'bad-context.out'),
      CDK_CONTEXT_JSON: JSON.stringify({ glacierTransitionDays: '400', expirationDays: 'forever' }),
    });

    // Act
    const result = spawnSync('npx', ['tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Invalid trail-index configuration');
    expect(result.stderr).toContain('expirationDays must be a whole number of days (got "forever")');
    expect(result.stderr).toContain(
      'deepArchiveTransitionDays (365) must be greater than glacierTransitionDays (400)',
    );
  }, 60_000);
});
