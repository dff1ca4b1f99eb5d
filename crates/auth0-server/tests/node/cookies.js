// One cookie operation with @auth0/auth0-server-js (pinned in package-lock.json), for the
// cross-language tests in ../node_interop.rs. Reads one JSON request on stdin and prints one
// JSON answer: the cookies it wrote, or the data it read.
//
// Request: { op, secret (string or array), name, cookies: {name: value}, data, sessions }
//   op = write-session | read-session   (StatelessStateStore, chunked cookies)
//        write-tx      | read-tx        (CookieTransactionStore)
//        write-id      | read-id        (StatefulStateStore: the encrypted session-id cookie)
import { CookieTransactionStore, StatelessStateStore, StatefulStateStore } from '@auth0/auth0-server-js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const jar = { ...(req.cookies ?? {}) };
const handler = {
  setCookie: (name, value) => { jar[name] = value; },
  getCookie: (name) => jar[name],
  getCookies: () => ({ ...jar }),
  deleteCookie: (name) => { delete jar[name]; },
};
const sessions = new Map(Object.entries(req.sessions ?? {}));
const sessionStore = {
  set: async (id, data) => { sessions.set(id, data); },
  get: async (id) => sessions.get(id),
  delete: async (id) => { sessions.delete(id); },
  deleteByLogoutToken: async () => {},
};

let out;
try {
  switch (req.op) {
    case 'write-session':
      await new StatelessStateStore({ secret: req.secret }, handler).set(req.name, req.data, false);
      out = { cookies: jar };
      break;
    case 'read-session':
      out = { data: (await new StatelessStateStore({ secret: req.secret }, handler).get(req.name)) ?? null };
      break;
    case 'write-tx':
      await new CookieTransactionStore({ secret: req.secret }, handler).set(req.name, req.data, false);
      out = { cookies: jar };
      break;
    case 'read-tx':
      out = { data: (await new CookieTransactionStore({ secret: req.secret }, handler).get(req.name)) ?? null };
      break;
    case 'write-id':
      await new StatefulStateStore({ secret: req.secret, store: sessionStore }, handler).set(req.name, req.data, false);
      out = { cookies: jar, sessions: Object.fromEntries(sessions) };
      break;
    case 'read-id':
      out = { data: (await new StatefulStateStore({ secret: req.secret, store: sessionStore }, handler).get(req.name)) ?? null };
      break;
    default:
      throw new Error(`unknown op ${req.op}`);
  }
} catch (e) {
  out = { error: String(e?.code ?? e?.name ?? e) };
}
process.stdout.write(JSON.stringify(out) + '\n');
