import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The provider key of a migration job, sealed at rest in the job's payload: AES-256-GCM under a
 * key derived (HKDF, its own label) from the project's signing secret, the one the consent links
 * use. The sealed text is `m1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`: the key id (an HMAC of
 * the secret) tells which secret sealed it, so a key sealed before a rotation of the secret still
 * opens with the previous one while it is kept. The project id is authenticated with it (a sealed
 * key copied into another project's job does not open).
 */

const PREFIX = 'm1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealingKey {
  keyId: string;
  aesKey: Buffer;
}

function sealingKey(secret: string): SealingKey {
  const keyId = createHmac('sha256', secret).update('roster migrate key id').digest('hex').slice(0, 16);
  const aesKey = Buffer.from(hkdfSync('sha256', secret, 'roster', 'roster migrate provider key v1', 32));
  return { keyId, aesKey };
}

/** Seals a provider key for the project whose signing secret is `secret`. */
export function sealProviderKey(secret: string, projectId: string, key: string): string {
  const { keyId, aesKey } = sealingKey(secret);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  cipher.setAAD(Buffer.from(`${PREFIX}.${keyId}.${projectId}`));
  const sealed = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
  return `${PREFIX}.${keyId}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/**
 * The provider key `sealed` holds, opened with whichever of `secrets` sealed it; null when none
 * did (the secret was rotated out since) or the text was changed.
 */
export function openProviderKey(secrets: string[], projectId: string, sealed: string): string | null {
  const [prefix, keyId, body] = sealed.split('.');
  if (prefix !== PREFIX || !keyId || !body) return null;
  const secret = secrets.find((s) => sealingKey(s).keyId === keyId);
  if (secret === undefined) return null;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(secret).aesKey, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${PREFIX}.${keyId}.${projectId}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}
