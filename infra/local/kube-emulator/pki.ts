/**
 * Minimal X.509 certificate generation for the Kubernetes API emulator, built only on
 * Node's `crypto` (key generation + ECDSA signing) plus a tiny DER encoder.
 *
 * The emulator needs a self-signed CA (its PEM goes into kubeconfig
 * `certificate-authority-data`) and a serving certificate signed by that CA whose
 * subjectAltName covers the host the emulator listens on. Node can parse
 * certificates (`X509Certificate`) but cannot create them, hence this file.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// ---------------------------------------------------------------------------
// DER encoding
// ---------------------------------------------------------------------------

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  let remaining = length;
  while (remaining > 0) {
    bytes.unshift(remaining & 0xff);
    remaining = Math.floor(remaining / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octetString = (value: Buffer): Buffer => tlv(0x04, value);
const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));
const explicit = (tagNumber: number, value: Buffer): Buffer => tlv(0xa0 | tagNumber, value);
const booleanTrue = (): Buffer => tlv(0x01, Buffer.from([0xff]));

function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? Buffer.from([value]) : value;
  // Strip redundant leading zeros, then keep the number positive.
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] ?? 0) & 0x80) === 0) bytes = bytes.subarray(1);
  if (((bytes[0] ?? 0) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function bitString(value: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), value]));
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const first = parts[0] ?? 0;
  const second = parts[1] ?? 0;
  const bytes: number[] = [first * 40 + second];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let remaining = part;
    do {
      chunk.unshift(remaining & 0x7f);
      remaining = Math.floor(remaining / 128);
    } while (remaining > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] ?? 0) | 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // YYYYMMDDHHmmssZ
  const year = date.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(compact.slice(2), 'ascii')) : tlv(0x18, Buffer.from(compact, 'ascii'));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function name(commonName: string, organization?: string): Buffer {
  const rdns = [];
  if (organization) rdns.push(set(sequence(oid(OID.organization), utf8String(organization))));
  rdns.push(set(sequence(oid(OID.commonName), utf8String(commonName))));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), booleanTrue(), octetString(value)) : sequence(oid(id), octetString(value));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and encode 8 groups of 16 bits.
  const [head = '', tail] = ip.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, index) => out.writeUInt16BE(parseInt(group, 16), index * 2));
  return out;
}

function subjectAltNames(hosts: string[]): Buffer {
  const names = hosts.map((host) =>
    isIP(host) ? tlv(0x87, ipBytes(host)) : tlv(0x82, Buffer.from(host, 'ascii')),
  );
  return sequence(...names);
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function toPem(label: string, der: Buffer): string {
  const body = der.toString('base64').match(/.{1,64}/g)?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

interface CertificateRequest {
  subject: Buffer;
  issuer: Buffer;
  subjectPublicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function buildCertificate(request: CertificateRequest): string {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    signatureAlgorithm,
    request.issuer,
    sequence(time(request.notBefore), time(request.notAfter)),
    request.subject,
    request.subjectPublicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...request.extensions)),
  );
  const signature = sign('sha256', tbs, request.signingKey); // DER-encoded ECDSA signature
  return toPem('CERTIFICATE', sequence(tbs, signatureAlgorithm, bitString(signature)));
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Generates a self-signed ECDSA P-256 CA valid for ten years. */
export function generateCertificateAuthority(commonName = 'kube-emulator-ca'): CertificateAuthority {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const subject = name(commonName, 'kube-emulator');
  const now = Date.now();
  const certPem = buildCertificate({
    subject,
    issuer: subject,
    subjectPublicKey: publicKey,
    signingKey: privateKey,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    extensions: [
      extension(OID.basicConstraints, true, sequence(booleanTrue())),
      // digitalSignature(0) | keyCertSign(5) | cRLSign(6) → 1000 0110, one unused bit
      extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey))),
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Issues a serving certificate for `hosts` (DNS names and/or IP addresses), signed by `ca`. */
export function issueServingCertificate(ca: CertificateAuthority, hosts: string[]): ServingCertificate {
  const caKey = createPrivateKey(ca.keyPem);
  const caCert = new X509Certificate(ca.certPem);
  const issuer = Buffer.from(caCert.raw);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const uniqueHosts = [...new Set(hosts)];
  const certPem = buildCertificate({
    subject: name(uniqueHosts[0] ?? 'kube-emulator', 'kube-emulator'),
    issuer: extractSubject(issuer),
    subjectPublicKey: publicKey,
    signingKey: caKey,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      // digitalSignature(0) → 1000 0000, seven unused bits
      extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltNames(uniqueHosts)),
      extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(caCert.publicKey)))),
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

// ---------------------------------------------------------------------------
// DER decoding (just enough to copy the CA's subject Name into the issuer field)
// ---------------------------------------------------------------------------

function readTlv(buffer: Buffer, offset: number): { start: number; end: number; headerEnd: number } {
  const lengthByte = buffer[offset + 1] ?? 0;
  let length = lengthByte;
  let headerEnd = offset + 2;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[offset + 2 + i] ?? 0);
    headerEnd = offset + 2 + count;
  }
  return { start: offset, headerEnd, end: headerEnd + length };
}

/** Returns the DER bytes of the subject Name of a DER certificate. */
function extractSubject(certDer: Buffer): Buffer {
  const certificate = readTlv(certDer, 0);
  const tbs = readTlv(certDer, certificate.headerEnd);
  let cursor = tbs.headerEnd;
  // version [0] (optional), serial, signature, issuer, validity, subject
  const fields: Array<{ start: number; end: number }> = [];
  while (cursor < tbs.end && fields.length < 6) {
    const field = readTlv(certDer, cursor);
    fields.push(field);
    cursor = field.end;
  }
  const hasVersion = certDer[tbs.headerEnd] === 0xa0;
  const subject = fields[hasVersion ? 5 : 4];
  if (!subject) throw new Error('kube-emulator: malformed CA certificate');
  return certDer.subarray(subject.start, subject.end);
}
