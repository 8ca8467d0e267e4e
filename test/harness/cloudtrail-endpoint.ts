/**
 * A small CloudTrail endpoint for the APIs no emulator serves: ListPublicKeys, DescribeTrails and
 * GetTrailStatus (whose answer a test changes through `status`),
 * over CloudTrail's own protocol (AWS JSON 1.1, `X-Amz-Target: …CloudTrail_20131101.<Action>`), so
 * that the SDK client and the AWS CLI reach it through their standard endpoint settings.
 */
import { createServer, type Server } from 'node:http';
import { listenLocally } from './local-server';

export interface CloudTrailEndpoint {
  readonly url: string;
  /** Requests received, by action. */
  readonly calls: string[];
  close(): Promise<void>;
}

export interface PublicKeyListing {
  readonly Fingerprint: string;
  /** As on the wire: base64 of the blob. */
  readonly Value: string;
  readonly ValidityStartTime: number;
  readonly ValidityEndTime: number;
}

export async function startCloudTrailEndpoint(
  keys: readonly PublicKeyListing[],
  trails: readonly Record<string, unknown>[] = [],
  status: { current: Record<string, unknown> } = { current: { IsLogging: true } },
): Promise<CloudTrailEndpoint> {
  const calls: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action =
        String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      calls.push(action);
      const input = (chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'))) as {
        StartTime?: number;
        EndTime?: number;
      };
      let body: unknown;
      if (action === 'ListPublicKeys') {
        const start = input.StartTime ?? Date.now() / 1000;
        const end = input.EndTime ?? Date.now() / 1000;
        body = {
          PublicKeyList: keys.filter((k) => k.ValidityStartTime <= end && k.ValidityEndTime >= start),
        };
      } else if (action === 'DescribeTrails') {
        body = { trailList: trails };
      } else if (action === 'GetTrailStatus') {
        body = status.current;
      } else {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: action }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    });
  });
  return { ...(await listenLocally(server)), calls };
}
