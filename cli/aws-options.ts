import { Command, Option } from 'commander';

/** Options every command that talks to AWS accepts. */
export interface AwsOptions {
  readonly profile?: string;
  readonly awsRegion?: string;
}

/**
 * Adds `--profile` and `--aws-region`. They only set `AWS_PROFILE`/`AWS_REGION` before any client
 * is created, so the SDK's standard chain (env, shared config, SSO, `AWS_ENDPOINT_URL_*`) does the
 * rest. The region option is `--aws-region` because `query --region` filters events by region.
 */
export function addAwsOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--profile <name>', 'AWS named profile (default: AWS_PROFILE or the default profile)'),
    )
    .addOption(
      new Option(
        '--aws-region <region>',
        'AWS region of the deployment (default: AWS_REGION or the profile)',
      ),
    );
}

/** Applies {@link AwsOptions} to the environment the SDK reads. Call before creating clients. */
export function applyAwsOptions(options: AwsOptions, env: NodeJS.ProcessEnv = process.env): void {
  if (options.profile !== undefined) env.AWS_PROFILE = options.profile;
  if (options.awsRegion !== undefined) {
    env.AWS_REGION = options.awsRegion;
    env.AWS_DEFAULT_REGION = options.awsRegion;
  }
}
