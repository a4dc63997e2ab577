// Runs the AT Protocol development network (PLC, PDS, AppView and their helpers, in this one
// process) on loopback for the tests.
//
//   node network.mjs <postgres-url>
//
// MURMUR_DEVNET_HOME names the install made by install.sh (its node_modules holds
// @atproto/dev-env). The network keeps its tables in schemas of the given database. Once every
// service answers, one JSON line goes to stdout: {"pds": url, "appview": url, "plc": url}. A
// SIGTERM, a SIGINT or the end of stdin shuts it down and the process exits 0.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dbPostgresUrl] = process.argv.slice(2);
const home = process.env.MURMUR_DEVNET_HOME;
if (!dbPostgresUrl || !home) {
  console.error('usage: MURMUR_DEVNET_HOME=<install dir> node network.mjs <postgres-url>');
  process.exit(2);
}

const entry = createRequire(path.join(home, 'package.json')).resolve('@atproto/dev-env');
const { TestNetwork } = await import(pathToFileURL(entry).href);

// dev-env insists on a Redis host being named, though nothing in the network uses it.
process.env.REDIS_HOST ??= '127.0.0.1:6379';

const network = await TestNetwork.create({
  dbPostgresUrl,
  dbPostgresSchema: 'devnet',
  // Rate limits on, as on a real PDS: answers carry the ratelimit-* headers, and creating
  // sessions is limited (30 per 5 minutes and 300 a day per account).
  pds: { hostname: 'localhost', rateLimitsEnabled: true },
});

let closing = null;
const shutdown = () => {
  closing ??= network.close().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.resume();

process.stdout.write(
  JSON.stringify({ pds: network.pds.url, appview: network.bsky.url, plc: network.plc.url }) + '\n',
);
