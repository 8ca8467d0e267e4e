/**
 * The credentials the trail's bucket is read with: the function's own, or, when the bucket's owner
 * prefers to grant a role of its own (LOG_READER_ROLE_ARN), that role's, assumed through STS with
 * the SDK's standard provider (refreshed before they expire). STS is reached through the SDK's
 * standard settings like every other service.
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ENV } from './config';

export function readerClientConfig(
  sessionName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { credentials?: ReturnType<typeof fromTemporaryCredentials> } {
  const roleArn = env[ENV.logReaderRoleArn]?.trim();
  if (roleArn === undefined || roleArn === '') return {};
  return {
    credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: sessionName } }),
  };
}
