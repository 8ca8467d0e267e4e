// Preloaded (NODE_OPTIONS=--import) into every Node process of `cdk synth` by the synth test:
// records each attempt to open a network connection or resolve a host name, so the test can
// prove that synth works offline without merely hoping no request was made.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const logFile = process.env.TRAIL_INDEX_NETWORK_LOG;
if (logFile) {
  const record = (what) => fs.appendFileSync(logFile, `${process.pid} ${what}\n`);
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function patchedConnect(...args) {
    // Node passes normalized arguments ([options, callback]) when it connects internally.
    const options = Array.isArray(args[0]) ? args[0][0] : args[0];
    // Unix sockets and pipes (a `path`) are local inter-process channels, not the network.
    const isLocalPath = typeof options === 'object' && options !== null && typeof options.path === 'string';
    if (!isLocalPath) {
      const target =
        typeof options === 'object' && options !== null
          ? `${options.host ?? ''}:${options.port ?? ''}`
          : String(options);
      record(`connect ${target}`);
    }
    return connect.apply(this, args);
  };
  const lookup = dns.lookup;
  dns.lookup = function patchedLookup(hostname, ...rest) {
    record(`lookup ${hostname}`);
    return lookup.call(this, hostname, ...rest);
  };
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = function patchedPromisesLookup(hostname, ...rest) {
    record(`lookup ${hostname}`);
    return promisesLookup.call(this, hostname, ...rest);
  };
}
