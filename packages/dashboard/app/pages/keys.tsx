import { useState } from 'preact/hooks';
import { type ApiKey, api } from '../api.js';
import {
  ACTIONS_COLUMN,
  ConfirmDialog,
  DataTable,
  EmptyState,
  Feedback,
  formatDate,
  PageHead,
  RowDangerButton,
  SecretShownOnce,
  useApiList,
} from '../ui.js';

export function KeysPage() {
  const [error, setError] = useState<unknown>(null);
  const [keys, load] = useApiList<ApiKey>('roster/keys', setError);
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create() {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      setCreated(await api<ApiKey & { key: string }>('POST', 'roster/keys', { json: { prefix: 'sk_' } }));
      load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const active = keys?.filter((k) => !k.revokedAt) ?? [];
  const revoked = keys?.filter((k) => k.revokedAt) ?? [];
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
      {keys && keys.length === 0 ? (
        <EmptyState title="No keys">
          <p>Create a key to call the API from your code.</p>
        </EmptyState>
      ) : null}
      {keys && keys.length > 0 ? (
        <DataTable caption="API keys of this project" columns={['Key', 'Created', 'State', ACTIONS_COLUMN]}>
          {[...active, ...revoked].map((k) => (
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
                    onClick={() => setRevoking(k)}
                  />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke key ${revoking.prefix}…${revoking.lastFour}?`}
          confirmLabel="Revoke"
          danger
          onConfirm={async () => {
            await api('DELETE', `roster/keys/${revoking.id}`);
            setStatus(`Key ${revoking.prefix}…${revoking.lastFour} revoked`);
            load();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>
            Programs using this key stop working at once. If you signed in to this dashboard with it, you will
            be signed out.
          </p>
        </ConfirmDialog>
      ) : null}
    </main>
  );
}
