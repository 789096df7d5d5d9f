import { useState } from 'preact/hooks';
import { type ApiKey, api } from '../api.js';
import {
  ACTIONS_COLUMN,
  Feedback,
  formatDate,
  ListTable,
  PageHead,
  RowDangerButton,
  SecretShownOnce,
  useConfirmedRemoval,
  useListPage,
} from '../ui.js';

/** Active keys first, then revoked ones. */
const activeFirst = (keys: ApiKey[]) => [
  ...keys.filter((k) => !k.revokedAt),
  ...keys.filter((k) => k.revokedAt),
];

export function KeysPage() {
  const page = useListPage<ApiKey>('roster/keys');
  const { error, status, setStatus } = page;
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const removal = useConfirmedRemoval((key: ApiKey) => ({
    title: `Revoke key ${key.prefix}…${key.lastFour}?`,
    label: 'Revoke',
    path: `roster/keys/${key.id}`,
    onDone: () => page.done(`Key ${key.prefix}…${key.lastFour} revoked`),
    children: (
      <p>
        Programs using this key stop working at once. If you signed in to this dashboard with it, you will be
        signed out.
      </p>
    ),
  }));
  const [busy, setBusy] = useState(false);

  async function create() {
    setBusy(true);
    await page.act(async () => {
      setCreated(await api<ApiKey & { key: string }>('POST', 'roster/keys', { json: { prefix: 'sk_' } }));
      return null;
    });
    setBusy(false);
  }

  return (
    <main id="main" tabIndex={-1}>
      <PageHead title="API keys">
        <button type="button" class="primary" disabled={busy} onClick={create}>
          Create key
        </button>
      </PageHead>
      <p>
        Secret keys (<code>sk_…</code>) let a program use the API as this project: send one as{' '}
        <code>Authorization: Bearer sk_…</code>. roster stores only a hash of each key, so a key is shown
        once, when it is created.
      </p>
      <Feedback error={error} status={status} />
      {created ? (
        <SecretShownOnce
          secret={created.key}
          id="new-key-title"
          class="card new-key"
          title="New key: copy it now"
          testId="new-key"
          onCopy={() => void navigator.clipboard?.writeText(created.key).then(() => setStatus('Key copied'))}
          onDone={() => setCreated(null)}
        >
          <p>This is the only time the whole key is shown.</p>
        </SecretShownOnce>
      ) : null}
      <ListTable
        items={page.items && activeFirst(page.items)}
        emptyTitle="No keys"
        emptyHint="Create a key to call the API from your code."
        caption="API keys of this project"
        columns={['Key', 'Created', 'State', ACTIONS_COLUMN]}
        row={(k) => (
          <tr key={k.id}>
            <td>
              <code>
                {k.prefix}…{k.lastFour}
              </code>
            </td>
            <td>{formatDate(k.createdAt)}</td>
            <td>{k.revokedAt ? `Revoked ${formatDate(k.revokedAt)}` : 'Active'}</td>
            <td>
              {k.revokedAt ? null : (
                <RowDangerButton
                  label="Revoke"
                  row={`key ${k.prefix}…${k.lastFour}`}
                  onClick={() => removal.ask(k)}
                />
              )}
            </td>
          </tr>
        )}
      />
      {removal.dialog}
    </main>
  );
}
