// The reference side of the cold-start benchmark (crates/auth0-auth/examples/cold_start.rs):
// one fresh Node process that imports `@auth0/auth0-auth-js` (pinned in package.json), builds
// a client and gets a client-credentials token over loopback HTTPS, then prints one JSON line
// of wall-clock timestamps (Unix nanoseconds, as the driver reads them) and exits.
//
// The driver passes the tenant in COLD_START_* variables; the tenant's TLS front is signed by a
// throwaway CA that Node trusts through NODE_EXTRA_CA_CERTS. The SDK is imported dynamically
// so the import is timed as a phase of its own.
const wall = () => Math.round((performance.timeOrigin + performance.now()) * 1e6);
const marks = { main: wall() };

const { AuthClient } = await import('@auth0/auth0-auth-js');
marks.imported = wall();

const env = process.env;
const client = new AuthClient({
  domain: env.COLD_START_DOMAIN,
  clientId: env.COLD_START_CLIENT_ID,
  clientSecret: env.COLD_START_CLIENT_SECRET,
});
marks.built = wall();

await client.getTokenByClientCredentials({ audience: env.COLD_START_AUDIENCE });
marks.token = wall();

console.log(JSON.stringify(marks));
