// Drives the independent `jose` JWT implementation for auth.integration tests.
//   node jose_interop.mjs verify <jwks.json> <token-file> <issuer> <audience>
//     Verifies a token against a JWKS document; prints {"ok":true,"header":{},"payload":{}} or
//     {"ok":false,"code":"...","message":"..."}.
//   node jose_interop.mjs sign <out-dir> <issuer> <audience>
//     Generates an ES256 and an RS256 key, writes <out-dir>/jwks.json with their public JWKs and
//     prints {"ES256":token,"RS256":token,"ES256_expired":token} signed with them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';

async function verify(jwksPath, tokenPath, issuer, audience) {
  const jwks = jose.createLocalJWKSet(JSON.parse(readFileSync(jwksPath, 'utf8')));
  const token = readFileSync(tokenPath, 'utf8').trim();
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
      issuer,
      audience,
      algorithms: ['ES256', 'RS256'],
    });
    return { ok: true, header: protectedHeader, payload };
  } catch (err) {
    return { ok: false, code: err.code ?? 'ERR_UNKNOWN', message: err.message };
  }
}

async function sign(outDir, issuer, audience) {
  const keys = [];
  const tokens = {};
  for (const alg of ['ES256', 'RS256']) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { modulusLength: 2048 });
    const kid = `jose-${alg.toLowerCase()}`;
    keys.push({ ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' });
    const build = (expiresAt) =>
      new jose.SignJWT({ tid: 'ten_jose', roles: ['developer'], kind: 'user', groups: ['dba'] })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(`usr_${alg.toLowerCase()}`)
        .setJti(`jti-${alg}`)
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(privateKey);
    tokens[alg] = await build('5m');
    if (alg === 'ES256') {
      tokens.ES256_expired = await build(Math.floor(Date.now() / 1000) - 3600);
    }
  }
  writeFileSync(join(outDir, 'jwks.json'), JSON.stringify({ keys }));
  return tokens;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'verify' && args.length === 4) {
  process.stdout.write(JSON.stringify(await verify(...args)));
} else if (command === 'sign' && args.length === 3) {
  process.stdout.write(JSON.stringify(await sign(...args)));
} else {
  process.stderr.write('usage: jose_interop.mjs verify <jwks> <token-file> <iss> <aud> | sign <dir> <iss> <aud>\n');
  process.exit(2);
}
