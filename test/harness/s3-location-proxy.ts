/**
 * fauxqs answers GetBucketLocation (`GET /<bucket>?location`) with a bucket listing, which the AWS
 * CLI reads as a region of blank space. This proxy in front of it answers that one request as S3
 * does for a us-east-1 bucket (an empty LocationConstraint) and passes every other request through.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { listenLocally } from './local-server';

export async function startS3LocationProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (req.method === 'GET' && url.searchParams.has('location') && /^\/[^/]+\/?$/.test(url.pathname)) {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
      );
      return;
    }
    const forward = httpRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(forward);
  });
  return { ...(await listenLocally(server)) };
}
