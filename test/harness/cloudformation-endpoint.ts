/** A CloudFormation stand-in on loopback, for the CLI's `--stack`: DescribeStacks only. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Answers `DescribeStacks` for the stack with the given outputs (AWS Query protocol, XML). */
export async function startCloudFormation(
  stack: string,
  outputs: Record<string, string>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      res.setHeader('content-type', 'text/xml');
      if (params.get('Action') !== 'DescribeStacks' || params.get('StackName') !== stack) {
        res.statusCode = 400;
        res.end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>' +
            `<Message>Stack with id ${params.get('StackName') ?? ''} does not exist</Message></Error>` +
            '<RequestId>1</RequestId></ErrorResponse>',
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
        .join('');
      res.end(
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult>' +
          `<Stacks><member><StackName>${stack}</StackName><StackId>arn:aws:cloudformation:us-east-1:999999999999:stack/${stack}/1</StackId>` +
          `<CreationTime>2026-11-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks>` +
          '</DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
