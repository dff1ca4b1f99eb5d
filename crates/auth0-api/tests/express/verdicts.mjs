// The express-oauth2-jwt-bearer side of tests/express_verdicts.rs: runs Auth0's Node middleware
// (pinned in package.json, installed from package-lock.json with `npm ci`) in-process, without
// an HTTP server, on the cases the Rust test sends as JSON on stdin, and prints one JSON array
// of verdicts: {name, accepted, status, code}.
//
// Input: {issuerBaseURL, audience, cases: [{name, mode, method, protocol, host, path,
// headers, scopes}]}; `mode` is allowed | required | disabled (DPoP), `scopes` the scopes the
// route requires (requiredScopes), `headers` the request headers (lower-case names).
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk));
  process.stdin.on('end', () => resolve(text));
}));

const dpopOptions = {
  allowed: { enabled: true },
  required: { enabled: true, required: true },
  disabled: { enabled: false },
};

const middlewares = {};
for (const mode of Object.keys(dpopOptions)) {
  middlewares[mode] = auth({
    issuerBaseURL: input.issuerBaseURL,
    audience: input.audience,
    dpop: dpopOptions[mode],
  });
}

/** Runs one middleware on a request-like object; resolves to the error passed to next, if any. */
function run(middleware, req) {
  return new Promise((resolve) => {
    const result = middleware(req, {}, (err) => resolve(err));
    if (result && typeof result.catch === 'function') result.catch(resolve);
  });
}

const verdicts = [];
for (const c of input.cases) {
  const headers = { host: c.host, ...c.headers };
  const req = {
    headers,
    method: c.method,
    protocol: c.protocol,
    originalUrl: c.path,
    url: c.path,
    query: {},
    body: undefined,
    get: (name) => headers[name.toLowerCase()],
    is: () => false,
  };
  let err = await run(middlewares[c.mode], req);
  if (!err && c.scopes && c.scopes.length > 0) {
    err = await run(requiredScopes(c.scopes), req);
  }
  verdicts.push(
    err
      ? { name: c.name, accepted: false, status: err.status ?? 500, code: err.code ?? '' }
      : { name: c.name, accepted: true, status: 200, code: '' },
  );
}
process.stdout.write(JSON.stringify(verdicts));
