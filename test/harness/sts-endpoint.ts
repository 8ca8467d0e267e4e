/**
 * A small STS endpoint for the one call no emulator serves here: AssumeRole, over STS's own
 * protocol (AWS Query: a form-encoded POST, an XML answer), so that the SDK's standard
 * `fromTemporaryCredentials` provider reaches it through `AWS_ENDPOINT_URL_STS`.
 */
import { createServer } from 'node:http';
import { listenLocally } from './local-server';

export async function startStsEndpoint(): Promise<{
  url: string;
  calls: URLSearchParams[];
  close(): Promise<void>;
}> {
  const calls: URLSearchParams[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      calls.push(form);
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAREADEREXAMPLE</AccessKeyId>
      <SecretAccessKey>reader-secret</SecretAccessKey>
      <SessionToken>reader-session-token</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:${form.get('RoleSessionName') ?? ''}</AssumedRoleId>
      <Arn>${form.get('RoleArn') ?? ''}/${form.get('RoleSessionName') ?? ''}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>example</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
    });
  });
  return { ...(await listenLocally(server)), calls };
}
