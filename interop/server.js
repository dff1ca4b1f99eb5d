// A standard OpenID Provider for the auth0-auth interoperability tests: `oidc-provider` (an
// OpenID Certified implementation nobody on this project wrote), configured with the flows the
// SDK claims to speak, on 127.0.0.1 and an ephemeral port.
//
// Run by crates/auth0-auth/tests/interop.rs; by hand: `node interop/server.js`.
//
// Protocol with the test process:
// - stdout: one JSON line once listening, `{"ready":true,"issuer":…,"clients":…,…}`; nothing else
//   is written to stdout (oidc-provider's own notices go to stderr).
// - stdin: when it closes (the test process ended), this process exits. It also exits after
//   INTEROP_MAX_LIFETIME_SECS (default 900) whatever happens, and on SIGTERM / SIGINT.
// - `/__test/…`: hooks a real deployment would not have, here only because this program exists
//   for tests: approve or deny a CIBA request as the user would on their authentication device,
//   or approve a device code as the user would after typing it.
//
// Everything that makes this provider fit the SDK is an ordinary, documented oidc-provider
// setting, each marked below; there is no special case for the SDK.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import { Provider, errors } from 'oidc-provider';

// The version actually installed, reported in the ready line.
const { version: PROVIDER_VERSION } = JSON.parse(
  fs.readFileSync(new URL('./node_modules/oidc-provider/package.json', import.meta.url), 'utf8'),
);

const MAX_LIFETIME_SECS = Number(process.env.INTEROP_MAX_LIFETIME_SECS || 900);

// Where browsers are sent back to; never contacted (the tests read the redirect's Location).
const REDIRECT_URI = 'http://127.0.0.1:1/callback';
const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:1/logged-out';
// The API client-credentials tokens are for; its tokens are JWTs.
const RESOURCE = 'https://api.interop.test/';
const RESOURCE_SCOPE = 'read:things write:things';
// A scope of its own for client credentials without any resource (RFC 6749 section 4.4.2).
const M2M_SCOPE = 'reports:read';

// ---- keys --------------------------------------------------------------------------------------

function signingJwk(type, options, kid, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// The provider's own signing keys: RS256 (the default for ID tokens) and ES256.
const providerKeys = [
  signingJwk('rsa', { modulusLength: 2048 }, 'op-rs256', 'RS256'),
  signingJwk('ec', { namedCurve: 'P-256' }, 'op-es256', 'ES256'),
];

// Client key pairs for private_key_jwt: the public halves are registered with the clients, the
// private halves (PKCS#8 PEM) are handed to the test in the ready line.
function clientKey(type, options, kid) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync(type, options);
  return {
    kid,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' },
  };
}
const clientRsa = clientKey('rsa', { modulusLength: 2048 }, 'client-rsa');
const clientEc = clientKey('ec', { namedCurve: 'P-256' }, 'client-ec');
const clientJwks = { keys: [clientRsa.publicJwk, clientEc.publicJwk] };

// ---- clients -----------------------------------------------------------------------------------

// A secret with characters that client_secret_basic must form-encode (RFC 6749 section 2.3.1).
const BASIC_SECRET = 'basic secret: with spaces, +plus, %percent & /slash';

const clients = [
  {
    // A web application with a client secret sent as HTTP Basic; ID tokens RS256.
    client_id: 'web-basic',
    client_secret: BASIC_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
    // Introspection answers as signed JWTs when asked (RFC 9701).
    introspection_signed_response_alg: 'RS256',
  },
  {
    // A web application with private_key_jwt; ID tokens ES256.
    client_id: 'web-jwt-es256',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: clientJwks,
    id_token_signed_response_alg: 'ES256',
    // Signed request objects (RFC 9101) must be ES256, with this client's registered key.
    request_object_signing_alg: 'ES256',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
  },
  {
    // A public client (a CLI or native app): no credentials, PKCE required.
    client_id: 'public',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
  },
  {
    client_id: 'm2m-post',
    client_secret: 'm2m-post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'm2m-basic',
    client_secret: BASIC_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'm2m-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: clientJwks,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Client credentials with a scope and no resource at all.
    client_id: 'm2m-scope',
    client_secret: 'm2m-scope-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    scope: M2M_SCOPE,
    response_types: [],
    redirect_uris: [],
  },
  {
    // The device authorization grant (RFC 8628), as a public client.
    client_id: 'device',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Client-initiated back-channel authentication, poll mode.
    client_id: 'ciba',
    client_secret: 'ciba-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
    backchannel_token_delivery_mode: 'poll',
    response_types: [],
    redirect_uris: [],
  },
];

// ---- configuration -----------------------------------------------------------------------------

const configuration = {
  clients,
  jwks: { keys: providerKeys },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },

  // Every subject exists; the login form accepts any login (features.devInteractions).
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: `Interop User ${sub}`,
          email: `${sub}@interop.test`,
          email_verified: true,
        };
      },
    };
  },
  // `scopes` (documented): scope values beyond OpenID Connect's, here the client-credentials
  // scope that names no resource.
  scopes: ['openid', 'offline_access', M2M_SCOPE],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },

  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    BackchannelAuthenticationRequest: (ctx) => Math.min(600, Number(ctx?.oidc?.params?.requested_expiry) || 600),
    ClientCredentials: 600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 86400,
    Session: 3600,
  },

  // `fetch` (documented): outgoing calls (here: back-channel logout POSTs) are refused to
  // loopback addresses by default (SSRF protection); the tests' back-channel logout listener is
  // on 127.0.0.1, so loopback targets, and only those, are allowed.
  fetch(url, options) {
    const { hostname } = new URL(url);
    if (hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]') {
      delete options.dispatcher;
    }
    return globalThis.fetch(url, options);
  },

  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Token introspection (RFC 7662) and revocation (RFC 7009), with signed introspection
    // answers (RFC 9701) for clients registered for them.
    introspection: { enabled: true },
    jwtIntrospection: { enabled: true },
    revocation: { enabled: true },
    // JWT-secured authorization requests (RFC 9101), by value and through PAR.
    requestObjects: { enabled: true },
    // The device authorization grant (RFC 8628); the user's approval comes from a test hook.
    deviceFlow: { enabled: true },
    backchannelLogout: { enabled: true },
    // Dynamic client registration (RFC 7591), open: the back-channel logout tests register a
    // client whose backchannel_logout_uri is their own loopback listener.
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator === RESOURCE) {
          return {
            scope: RESOURCE_SCOPE,
            audience: RESOURCE,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        }
        throw new errors.InvalidTarget();
      },
      // The code exchange must name its resource itself (the SDK sends `resource` with the
      // code); the polled grants (CIBA, device) use the resource their request named.
      async useGrantedResource(ctx) {
        return ctx.oidc.params.grant_type !== 'authorization_code';
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      // login_hint: an RFC 9493 "iss_sub" subject identifier as JSON (what the SDK sends), or a
      // plain subject.
      async processLoginHint(ctx, loginHint) {
        let hint;
        try {
          hint = JSON.parse(loginHint);
        } catch {
          return loginHint;
        }
        if (hint && typeof hint === 'object' && hint.format === 'iss_sub') {
          if (hint.iss !== ctx.oidc.issuer) {
            throw new errors.InvalidRequest('login_hint names another issuer');
          }
          return typeof hint.sub === 'string' && hint.sub ? hint.sub : undefined;
        }
        throw new errors.InvalidRequest('unsupported login_hint format');
      },
      async processLoginHintToken() {
        throw new errors.InvalidRequest('login_hint_token is not supported');
      },
      async validateRequestContext() {},
      async verifyUserCode() {},
      // The "authentication device": the request waits until a test calls /__test/ciba/….
      async triggerAuthenticationDevice() {},
      // validateBindingMessage: the library's default policy (1-20 of [a-zA-Z0-9-._+/!?#]).
    },
  },
};

// ---- test hooks --------------------------------------------------------------------------------

async function testHook(provider, req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    return reply(405, { error: 'use POST' });
  }
  const authReqId = url.searchParams.get('auth_req_id');
  try {
    switch (url.pathname) {
      case '/__test/ciba/approve': {
        const request = await provider.BackchannelAuthenticationRequest.find(authReqId);
        if (!request) return reply(404, { error: 'no such auth_req_id' });
        const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
        grant.addOIDCScope(request.scope);
        if (request.resource) grant.addResourceScope(request.resource, RESOURCE_SCOPE);
        await grant.save();
        await provider.backchannelResult(request, grant);
        return reply(200, { approved: authReqId });
      }
      case '/__test/ciba/deny': {
        const request = await provider.BackchannelAuthenticationRequest.find(authReqId);
        if (!request) return reply(404, { error: 'no such auth_req_id' });
        await provider.backchannelResult(request, new errors.AccessDenied('the user denied the request'));
        return reply(200, { denied: authReqId });
      }
      case '/__test/device/approve': {
        // The user typed the code and approved as `sub` on their other device.
        // Stored as the provider's device page would look it up: upper-case, no separators.
        const typed = (url.searchParams.get('user_code') || '').toUpperCase().replace(/\W/g, '');
        const code = await provider.DeviceCode.findByUserCode(typed);
        const sub = url.searchParams.get('sub');
        if (!code || !sub) return reply(404, { error: 'no such user_code' });
        // What the provider's own device pages record on approval: the user, the grant, the
        // scope and resource the device asked for.
        const { scope = 'openid', resource } = code.params;
        const grant = new provider.Grant({ accountId: sub, clientId: code.clientId });
        grant.addOIDCScope(scope);
        if (resource) grant.addResourceScope(resource, RESOURCE_SCOPE);
        Object.assign(code, {
          accountId: sub,
          grantId: await grant.save(),
          authTime: Math.floor(Date.now() / 1000),
          scope,
          ...(resource ? { resource } : {}),
        });
        await code.save();
        return reply(200, { approved: code.userCode });
      }
      default:
        return reply(404, { error: 'unknown test hook' });
    }
  } catch (err) {
    return reply(500, { error: String(err?.message || err) });
  }
}

// ---- start -------------------------------------------------------------------------------------

function exitSoon(code) {
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}

process.on('SIGTERM', () => exitSoon(0));
process.on('SIGINT', () => exitSoon(0));
// The test process holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => exitSoon(0));
process.stdin.on('error', () => exitSoon(0));
process.stdin.resume();
setTimeout(() => {
  console.error(`interop server: exiting after its maximum lifetime of ${MAX_LIFETIME_SECS} s`);
  exitSoon(0);
}, MAX_LIFETIME_SECS * 1000).unref();

const server = http.createServer();
server.on('error', (err) => {
  console.error('interop server:', err);
  exitSoon(1);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // No trailing slash: the issuer identifier as most providers other than Auth0 write it.
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  provider.on('backchannel.error', (ctx, err, client) => console.error('backchannel.error', client.clientId, err));
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/__test/')) {
      testHook(provider, req, res);
    } else {
      handle(req, res);
    }
  });
  const ready = {
    ready: true,
    issuer,
    port,
    provider: 'oidc-provider',
    version: PROVIDER_VERSION,
    redirect_uri: REDIRECT_URI,
    post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
    resource: RESOURCE,
    resource_scope: RESOURCE_SCOPE,
    m2m_scope: M2M_SCOPE,
    clients: Object.fromEntries(clients.map((c) => [c.client_id, {
      client_id: c.client_id,
      client_secret: c.client_secret ?? null,
      token_endpoint_auth_method: c.token_endpoint_auth_method,
    }])),
    client_keys: {
      rsa: { kid: clientRsa.kid, private_key_pem: clientRsa.privatePem },
      ec: { kid: clientEc.kid, private_key_pem: clientEc.privatePem },
    },
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});
