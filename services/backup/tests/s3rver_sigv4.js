'use strict';
// An S3-protocol test server: s3rver (npm) with AWS Signature Version 4 checking added.
// s3rver 3.7 verifies only V2 signatures and accepts any well-formed V4 signature (and
// unsigned requests), so every request is verified here with the independent `aws4` package
// before s3rver sees it: unsigned requests are AccessDenied, a wrong key id InvalidAccessKeyId,
// a wrong secret SignatureDoesNotMatch. s3rver also lacks AbortMultipartUpload; it is added
// (removing the upload's parts) so clients can clean up.
//
// Usage: node s3rver_sigv4.js PORT DATA_DIR ACCESS_KEY SECRET_KEY BUCKET
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');
const AWSAccount = require('s3rver/lib/models/account');
const aws4 = require('aws4');

const [port, directory, accessKey, secretKey, bucket] = process.argv.slice(2);

const kAuth =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function verify(ctx) {
  const authorization = ctx.get('authorization');
  if (!authorization) throw new S3Error('AccessDenied', 'Requests must be signed (SigV4).');
  const m = kAuth.exec(authorization);
  if (!m) {
    throw new S3Error('AuthorizationHeaderMalformed', 'Expected an AWS4-HMAC-SHA256 signature.');
  }
  const [, keyId, , region, signedHeaders, signature] = m;
  if (keyId !== accessKey) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist.');
  }
  const headers = {};
  const include = {};
  for (const name of signedHeaders.split(';')) {
    headers[name] = ctx.get(name);
    include[name] = true;
  }
  const signer = new aws4.RequestSigner(
    {
      service: 's3',
      region,
      method: ctx.method,
      host: ctx.get('host'),
      path: ctx.originalUrl,
      headers,
      extraHeadersToInclude: include,
      doNotModifyHeaders: true,
    },
    { accessKeyId: accessKey, secretAccessKey: secretKey },
  );
  if (signer.signature() !== signature) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
}

// s3rver's own check then finds the access key (it knows only S3RVER/S3RVER otherwise).
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  directory,
  silent: true,
  vhostBuckets: false,
  allowMismatchedSignatures: false,
  configureBuckets: [{ name: bucket }],
});

server.middleware.unshift(async (ctx, next) => {
  verify(ctx);
  const parts = ctx.path.split('/').filter(Boolean);
  if (ctx.method === 'DELETE' && parts.length >= 2 && 'uploadId' in ctx.query) {
    const uploads = server.store.getResourcePath(parts[0], undefined, 'uploads');
    const dir = path.join(uploads, path.basename(String(ctx.query.uploadId)));
    if (!fs.existsSync(dir)) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.');
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  await next();
});

server.run().then(
  () => console.log('ready'),
  err => {
    console.error(err);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
