/**
 * The part of an app that keeps its mailing list in Plunk. It knows nothing about roster: it reads
 * Plunk's base URL and secret key from the environment, as it would in production.
 *
 *   PLUNK_API_URL=https://api.useplunk.com   PLUNK_SECRET_KEY=sk_...
 */

export interface PlunkContact {
  id: string;
  email: string;
  subscribed: boolean;
  data: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface JobStatus {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  result: Record<string, unknown> | null;
  failedReason?: string;
}

function config() {
  const url = process.env.PLUNK_API_URL;
  const key = process.env.PLUNK_SECRET_KEY;
  if (!url || !key) throw new Error('Set PLUNK_API_URL and PLUNK_SECRET_KEY');
  return { url: url.replace(/\/+$/, ''), key };
}

async function plunk<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { url, key } = config();
  const isForm = body instanceof FormData;
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`Plunk answered ${response.status} to ${method} ${path}: ${text}`);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Adds someone to the list (or updates them: Plunk merges `data`). */
export async function signUp(email: string, data: Record<string, unknown> = {}): Promise<PlunkContact> {
  return plunk<PlunkContact>('POST', '/contacts', { email, data });
}

/** Marks a contact as unsubscribed. */
export async function unsubscribe(contactId: string): Promise<PlunkContact> {
  return plunk<PlunkContact>('PATCH', `/contacts/${contactId}`, { subscribed: false });
}

/** Every contact, following Plunk's cursor pages. */
export async function allContacts(): Promise<PlunkContact[]> {
  const out: PlunkContact[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
    const page: { data: PlunkContact[]; cursor: string | null } = await plunk('GET', `/contacts${query}`);
    out.push(...page.data);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Uploads a CSV of contacts; Plunk imports it in the background. Returns the job id. */
export async function importCsv(csv: string, fileName = 'contacts.csv'): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), fileName);
  const { jobId } = await plunk<{ jobId: string }>('POST', '/contacts/import', form);
  return jobId;
}

export async function importStatus(jobId: string): Promise<JobStatus> {
  return plunk<JobStatus>('GET', `/contacts/import/${jobId}`);
}

/** Unsubscribes many contacts at once, in the background. Returns the job id. */
export async function bulkUnsubscribe(contactIds: string[]): Promise<string> {
  const { jobId } = await plunk<{ jobId: string }>('POST', '/contacts/bulk-unsubscribe', {
    mode: 'ids',
    contactIds,
  });
  return jobId;
}

export async function bulkStatus(jobId: string): Promise<JobStatus> {
  return plunk<JobStatus>('GET', `/contacts/bulk/${jobId}`);
}
