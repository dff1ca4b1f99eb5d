// A login against the standalone emulator from plain Node (built-in fetch, no npm packages),
// run by tests/standalone.rs with the tenant of examples/tenant.toml.
//
//   node login.mjs BASE_URL        (env: USER_PASSWORD, WEB_APP_SECRET)
//
// It reads what it needs only through the HTTP control API (/__emulator/…): the clients and
// their callbacks, the user's id, the request log, the browser sessions and the emailed
// one-time code. It prints one JSON line with what it saw and exits non-zero on any failure.
import { createHash, randomBytes } from 'node:crypto';

const [base] = process.argv.slice(2);
const password = process.env.USER_PASSWORD;
const webSecret = process.env.WEB_APP_SECRET;
const EMAIL = 'jane@example.com';
const AUDIENCE = 'https://api.example.com/';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function control(path, init) {
  const response = await fetch(`${base}/__emulator${path}`, init);
  const text = await response.text();
  check(response.ok, `control ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function token(form) {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: await response.json() };
}

const b64url = (buffer) => buffer.toString('base64url');
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// 1. What the tenant holds, from the control API.
const tenant = await control('/tenant');
const spa = tenant.clients.find((c) => c.client_id === 'my-spa');
check(spa, 'the control API lists my-spa');
const redirectUri = spa.callbacks[0];
const user = tenant.users.find((u) => u.login === EMAIL);
check(user, `the control API lists ${EMAIL}`);

// 2. Authorization code with PKCE: /authorize → the login form → the callback's code → tokens.
const verifier = b64url(randomBytes(32));
const challenge = b64url(createHash('sha256').update(verifier).digest());
const state = b64url(randomBytes(12));
const nonce = b64url(randomBytes(12));
const authorize = new URL('/authorize', base);
for (const [k, v] of Object.entries({
  response_type: 'code',
  client_id: spa.client_id,
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  audience: AUDIENCE,
  state,
  nonce,
  code_challenge: challenge,
  code_challenge_method: 'S256',
})) {
  authorize.searchParams.set(k, v);
}
const page = await fetch(authorize, { redirect: 'manual' });
check(page.status === 200, `/authorize answered ${page.status}`);
const html = await page.text();
const tx = html.match(/name="tx" value="([^"]+)"/)?.[1];
check(tx, 'the login page carries a transaction');

const login = await fetch(`${base}/authorize/login`, {
  method: 'POST',
  body: new URLSearchParams({ tx, username: EMAIL, password }),
  redirect: 'manual',
});
check(login.status === 302, `the login form answered ${login.status}`);
const callback = new URL(login.headers.get('location'));
check(`${callback.origin}${callback.pathname}` === redirectUri, `redirected to ${callback}`);
check(callback.searchParams.get('state') === state, 'state comes back');
const code = callback.searchParams.get('code');
check(code, 'the callback carries a code');

const tokens = await token({
  grant_type: 'authorization_code',
  client_id: spa.client_id,
  code,
  redirect_uri: redirectUri,
  code_verifier: verifier,
});
check(tokens.status === 200, `code exchange: ${JSON.stringify(tokens.body)}`);
const id = claims(tokens.body.id_token);
check(id.sub === user.user_id, `sub ${id.sub}`);
check(id.aud === spa.client_id && id.nonce === nonce && id.iss === tenant.issuer, 'ID token claims');
const access = claims(tokens.body.access_token);
check([access.aud].flat().includes(AUDIENCE), 'access token audience');
check(typeof tokens.body.refresh_token === 'string', 'a refresh token');

// 3. The control API saw it: the token request carried the verifier, a session exists.
const log = await control(`/requests?path=${encodeURIComponent('/oauth/token')}`);
check(
  log.requests.some((r) => new URLSearchParams(r.body).get('code_verifier') === verifier),
  'the request log has the code exchange',
);
const { sessions } = await control('/sessions');
check(
  sessions.some((s) => s.user_id === user.user_id && s.clients.includes(spa.client_id)),
  'a browser session for the user',
);

// 4. Grants are per application: an SPA has no password grant.
const refused = await token({
  grant_type: 'password',
  client_id: spa.client_id,
  username: EMAIL,
  password,
});
check(
  refused.status === 403 && refused.body.error === 'unauthorized_client',
  `password grant for the SPA: ${refused.status} ${JSON.stringify(refused.body)}`,
);

// 5. An emailed one-time code, read from the control API.
const start = await fetch(`${base}/passwordless/start`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    client_id: 'my-web-app',
    client_secret: webSecret,
    connection: 'email',
    email: EMAIL,
    send: 'code',
  }),
});
check(start.status === 200, `passwordless/start answered ${start.status}`);
const { messages } = await control('/passwordless');
const otp = messages.filter((m) => m.recipient === EMAIL).at(-1)?.code;
check(otp, 'the control API shows the emailed code');
const passwordless = await token({
  grant_type: 'http://auth0.com/oauth/grant-type/passwordless/otp',
  client_id: 'my-web-app',
  client_secret: webSecret,
  username: EMAIL,
  otp,
  realm: 'email',
  scope: 'openid',
});
check(passwordless.status === 200, `passwordless login: ${JSON.stringify(passwordless.body)}`);

// 6. Reset forgets it all.
await control('/reset', { method: 'POST' });
check((await control('/sessions')).sessions.length === 0, 'reset ends the sessions');

console.log(JSON.stringify({ ok: true, sub: id.sub, scope: tokens.body.scope }));
