// A stand-in external OpenID Connect provider for integration tests, built on the independent
// `jose` implementation. Usage: node oidc_idp.mjs <port>
// Serves on 127.0.0.1:<port>, with issuer http://127.0.0.1:<port>:
//   GET /.well-known/openid-configuration   {"issuer","jwks_uri"}
//   GET /jwks.json                          the public RS256 and ES256 keys
//   GET /token?sub=&groups=a,b&aud=&iss=&exp=&alg=&tenant=&kid=
//       a signed JWT (text); exp is seconds from now (negative = expired), alg RS256 or ES256.
//   GET /fetches                            how often /jwks.json was served
import { createServer } from 'node:http';
import * as jose from 'jose';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const keys = {};
const publicJwks = [];
for (const alg of ['RS256', 'ES256']) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { modulusLength: 2048 });
  const kid = `idp-${alg.toLowerCase()}`;
  keys[alg] = { privateKey, kid };
  publicJwks.push({ ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' });
}
let fetches = 0;

async function mint(q) {
  const alg = q.get('alg') ?? 'RS256';
  const claims = { groups: (q.get('groups') ?? '').split(',').filter((g) => g) };
  if (q.get('tenant')) claims.dbaas_tenant = q.get('tenant');
  if (q.get('username')) claims.preferred_username = q.get('username');
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg, kid: q.get('kid') ?? keys[alg].kid, typ: 'JWT' })
    .setIssuer(q.get('iss') ?? issuer)
    .setAudience(q.get('aud') ?? 'dbaas-client')
    .setSubject(q.get('sub') ?? 'subject-1')
    .setIssuedAt(now)
    .setExpirationTime(now + Number(q.get('exp') ?? 300))
    .sign(keys[alg].privateKey);
}

createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  const json = (body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/.well-known/openid-configuration') {
    json({ issuer, jwks_uri: `${issuer}/jwks.json` });
  } else if (url.pathname === '/jwks.json') {
    fetches += 1;
    json({ keys: publicJwks });
  } else if (url.pathname === '/token') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(await mint(url.searchParams));
  } else if (url.pathname === '/fetches') {
    json({ fetches });
  } else {
    res.writeHead(404);
    res.end();
  }
}).listen(port, '127.0.0.1');
