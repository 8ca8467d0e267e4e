/**
 * A log file's body as the S3 SDK hands it over: an `http.IncomingMessage` of a GET, here from a
 * loopback server that the benchmark runs in its own process.
 */
import { get, type IncomingMessage } from 'node:http';

export function body(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode === 200) resolve(response);
      else reject(new Error(`GET ${url}: ${response.statusCode ?? 'no status'}`));
    }).on('error', reject);
  });
}
