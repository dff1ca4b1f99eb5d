// The Node side of the access-token rows of bench/compare: Auth0's Node middleware,
// `express-oauth2-jwt-bearer` (pinned in package.json, installed from package-lock.json with
// `npm ci`), called in-process with request-like objects, no HTTP server, on the same tokens and
// proofs as our side (crates/auth0-api/examples/compare_verify.rs, which starts this script).
//
// Input (JSON on stdin): {issuerBaseURL, audience, scope, host, path, bearer, bound, proofs,
// rs256: {jwk, token}, es256: {jwk, token}, iterations: {warmup, bearer, dpop, floor}}.
// `proofs` holds one fresh DPoP proof per DPoP call (warm-up included). Output: one JSON object
// of raw nanosecond timings per operation, on stdout.
//
// Timed per call: building the request object and running the middleware (`auth`, then
// `requiredScopes` as a route would) until it calls `next`. The JWKS is fetched (over loopback)
// by the warm-up, so the timed calls verify with a warm key cache, as ours do. The floors are
// one raw `crypto.verify` with a key object made beforehand.
import crypto from 'node:crypto';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

const input = JSON.parse(
  await new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  }),
);
const n = input.iterations;
const now = () => process.hrtime.bigint();

// The same DPoP mode as ours by default: allowed (Bearer and DPoP both accepted).
const middleware = auth({
  issuerBaseURL: input.issuerBaseURL,
  audience: input.audience,
  dpop: { enabled: true },
});
const scopes = requiredScopes([input.scope]);

/** Runs one middleware on a request-like object; resolves to the error passed to next, if any. */
function run(mw, req) {
  return new Promise((resolve) => {
    const result = mw(req, {}, (err) => resolve(err));
    if (result && typeof result.catch === 'function') result.catch(resolve);
  });
}

/** A request-like object as Express would hand the middleware. */
function request(headers) {
  const all = { host: input.host, ...headers };
  return {
    headers: all,
    method: 'GET',
    protocol: 'https',
    originalUrl: input.path,
    url: input.path,
    query: {},
    body: undefined,
    get: (name) => all[name.toLowerCase()],
    is: () => false,
  };
}

/** One verification: the middleware, then the scope check; throws when either refuses. */
async function verify(headers) {
  const req = request(headers);
  let err = await run(middleware, req);
  if (!err) err = await run(scopes, req);
  if (err) throw new Error(`refused: ${err.status} ${err.code ?? ''} ${err.message}`);
  if (!req.auth || !req.auth.payload) throw new Error('no claims on the request');
}

/** `warmup` untimed calls, then `count` timed ones; nanoseconds per call. */
async function timed(warmup, count, op) {
  for (let i = 0; i < warmup; i++) await op(i);
  const samples = new Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await op(warmup + i);
    samples[i] = Number(now() - t0);
  }
  return samples;
}

/** The same, for a synchronous operation. */
function timedSync(warmup, count, op) {
  for (let i = 0; i < warmup; i++) op();
  const samples = new Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = now();
    op();
    samples[i] = Number(now() - t0);
  }
  return samples;
}

const ops = {};
const bearerHeaders = { authorization: `Bearer ${input.bearer}` };
ops.bearer = await timed(n.warmup, n.bearer, () => verify(bearerHeaders));

const dpopAuthorization = `DPoP ${input.bound}`;
if (input.proofs.length < n.warmup + n.dpop) throw new Error('not enough DPoP proofs');
ops.dpop = await timed(n.warmup, n.dpop, (i) =>
  verify({ authorization: dpopAuthorization, dpop: input.proofs[i] }),
);

/** A raw signature check of `token` with its key made once. */
function floor({ jwk, token }, options) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const dot = token.lastIndexOf('.');
  const data = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const check = () => {
    if (!crypto.verify('sha256', data, { key, ...options }, signature)) {
      throw new Error('raw verify failed');
    }
  };
  return timedSync(n.warmup, n.floor, check);
}
ops.floor_rs256 = floor(input.rs256, {});
ops.floor_es256 = floor(input.es256, { dsaEncoding: 'ieee-p1363' });

process.stdout.write(
  JSON.stringify({
    side: 'express-oauth2-jwt-bearer',
    runtime: `node ${process.version}`,
    ops,
  }) + '\n',
);
