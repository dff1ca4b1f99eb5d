// The reference side of bench/compare: drives `@auth0/auth0-auth-js` (pinned in package.json,
// installed from package-lock.json) through the same operations as our SDK's side
// (crates/auth0-auth/examples/compare.rs) and prints one JSON object of raw timings.
//
// It is started by the Rust driver, which passes the emulator's address and the workload as
// JSON in COMPARE_CONFIG. The emulator advertises the issuer https://<domain>/ while listening
// on plain loopback HTTP; `customFetch` rewrites every https://<domain>/ URL to that loopback
// address, so nothing leaves the machine.
import { AuthClient } from '@auth0/auth0-auth-js';

const config = JSON.parse(process.env.COMPARE_CONFIG ?? '{}');
const { domain, loopback, clientId, clientSecret, audience, username, password, callback } =
  config;
const n = config.iterations;
const tenantPrefix = `https://${domain}`;

/** Rewrites the tenant's https URLs to the emulator's loopback address. */
function customFetch(input, init) {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const rewritten = url.startsWith(tenantPrefix) ? loopback + url.slice(tenantPrefix.length) : url;
  if (typeof input === 'string' || input instanceof URL) {
    return fetch(rewritten, init);
  }
  return fetch(new Request(rewritten, input), init);
}

function newClient(discoveryCache) {
  return new AuthClient({
    domain,
    clientId,
    clientSecret,
    customFetch,
    ...(discoveryCache ? { discoveryCache } : {}),
  });
}

const now = () => process.hrtime.bigint();

/** Runs `op` `warmup` times untimed, then `count` times timed; returns nanoseconds per call. */
async function timed(warmup, count, op, prepare) {
  for (let i = 0; i < warmup; i++) {
    const input = prepare ? await prepare() : undefined;
    await op(input);
  }
  const samples = new Array(count);
  for (let i = 0; i < count; i++) {
    const input = prepare ? await prepare() : undefined;
    const t0 = now();
    await op(input);
    samples[i] = Number(now() - t0);
  }
  return samples;
}

/** Plays the browser: opens the authorization URL, submits the login form, returns the callback. */
async function browserLogin(authorizationUrl) {
  const page = await customFetch(authorizationUrl.toString(), { redirect: 'manual' });
  const html = await page.text();
  const marker = 'name="tx" value="';
  const start = html.indexOf(marker);
  if (start < 0) throw new Error(`no login form (HTTP ${page.status})`);
  const end = html.indexOf('"', start + marker.length);
  const tx = html.slice(start + marker.length, end).replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  const submitted = await fetch(`${loopback}/authorize/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ tx, username, password }).toString(),
  });
  await submitted.arrayBuffer();
  const location = submitted.headers.get('location');
  if (!location) throw new Error(`the login form did not redirect (HTTP ${submitted.status})`);
  return new URL(location, loopback);
}

async function freshCode(client) {
  const { authorizationUrl, codeVerifier } = await client.buildAuthorizationUrl({
    authorizationParams: { redirect_uri: callback },
  });
  return { url: await browserLogin(authorizationUrl), codeVerifier };
}

const ops = {};
const client = newClient();

// Authorization URL (discovery cached after the first call): URL building + PKCE.
ops.authorization_url = await timed(n.cpu_warmup, n.authorization_url, () =>
  client.buildAuthorizationUrl({ authorizationParams: { redirect_uri: callback, state: 'xyz' } }),
);

// Back-channel logout-token verification with the JWKS cached after the first call.
const logoutToken = config.logoutToken;
const verified = await client.verifyLogoutToken({ logoutToken });
if (verified.sub !== config.logoutSub) throw new Error('the logout token did not verify');
ops.logout_token = await timed(n.cpu_warmup, n.logout_token, () =>
  client.verifyLogoutToken({ logoutToken }),
);

// Sequential token requests.
const cc = { audience };
ops.client_credentials = await timed(n.http_warmup, n.client_credentials, () =>
  client.getTokenByClientCredentials(cc),
);

const first = await freshCode(client);
const login = await client.getTokenByCode(first.url, { codeVerifier: first.codeVerifier });
if (!login.refreshToken || !login.idToken) throw new Error('the login returned no refresh/ID token');
const refresh = { refreshToken: login.refreshToken };
ops.refresh = await timed(n.http_warmup, n.refresh, () => client.getTokenByRefreshToken(refresh));

ops.code_exchange = await timed(
  Math.min(n.http_warmup, 20),
  n.code_exchange,
  ({ url, codeVerifier }) => client.getTokenByCode(url, { codeVerifier }),
  () => freshCode(client),
);

// 64-way concurrent client credentials: throughput of each round, and every request's latency.
const concurrency = n.concurrency;
const latencies = [];
const throughput = [];
for (let round = 0; round < n.concurrent_rounds + 1; round++) {
  const perWorker = n.concurrent_per_worker;
  const roundLatencies = [];
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perWorker; i++) {
        const s = now();
        await client.getTokenByClientCredentials(cc);
        roundLatencies.push(Number(now() - s));
      }
    }),
  );
  const elapsed = Number(now() - t0);
  if (round > 0) {
    // round 0 warms the connection pool
    throughput.push((concurrency * perWorker) / (elapsed / 1e9));
    latencies.push(...roundLatencies);
  }
}
ops.concurrent_client_credentials = latencies;

// A new client's first call: discovery (not cached: ttl 0) + a client-credentials request.
ops.first_call = await timed(5, n.first_call, () =>
  newClient({ ttl: 0 }).getTokenByClientCredentials(cc),
);

process.stdout.write(
  JSON.stringify({
    side: 'reference',
    runtime: `node ${process.version}`,
    ops,
    throughput,
    peak_rss_kb: process.resourceUsage().maxRSS,
  }) + '\n',
);
