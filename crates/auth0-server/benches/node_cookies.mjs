// The same measurement as benches/cookies.rs with @auth0/auth0-server-js 1.12.1 (the copy
// pinned in tests/node/; run `npm ci` there first): read and write a 4 KB session in chunked
// cookies with StatelessStateStore. Prints µs per operation.
//
//   node crates/auth0-server/benches/node_cookies.mjs
import { StatelessStateStore } from '../tests/node/node_modules/@auth0/auth0-server-js/dist/index.js';

const now = Math.floor(Date.now() / 1000);
const jwt = `eyJhbGciOiJSUzI1NiJ9.${'e'.repeat(700)}.${'s'.repeat(342)}`;
const session = {
  user: { sub: 'auth0|64f1c2a9e3b4d5f6a7b8c9d0', name: 'Jane Doe', nickname: 'jane', email: 'jane@example.com',
    email_verified: true, picture: 'https://s.gravatar.com/avatar/0123456789abcdef.png',
    iss: 'https://tenant.eu.auth0.com/', aud: 'client-id', sid: 'sid-0123456789', iat: now, exp: now + 36000 },
  idToken: jwt,
  refreshToken: 'v1.M' + 'r'.repeat(120),
  tokenSets: [
    { audience: 'https://api.example.com/', accessToken: jwt, scope: 'openid profile email offline_access read:messages', expiresAt: now + 86400 },
    { audience: 'https://second.example.com/', accessToken: jwt, scope: 'read:things', expiresAt: now + 86400 },
  ],
  internal: { sid: 'sid-0123456789', createdAt: now },
};
const jar = {};
const handler = {
  setCookie: (n, v) => { jar[n] = v; },
  getCookie: (n) => jar[n],
  getCookies: () => ({ ...jar }),
  deleteCookie: (n) => { delete jar[n]; },
};
const store = new StatelessStateStore({ secret: 'a-benchmark-secret-of-32-characters!!' }, handler);
await store.set('__a0_session', session, false);

async function measure(name, op, n) {
  for (let i = 0; i < 200; i++) await op();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  console.log(`${name}: ${us.toFixed(1)} µs/op`);
}
await measure('node session/read_4kb_chunked', () => store.get('__a0_session'), 3000);
await measure('node session/write_4kb_chunked', () => store.set('__a0_session', session, false), 3000);
