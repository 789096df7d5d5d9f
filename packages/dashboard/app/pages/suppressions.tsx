import { useState } from 'preact/hooks';
import { api } from '../api.js';
import {
  ACTIONS_COLUMN,
  CreateForm,
  Feedback,
  FieldGrid,
  formatDate,
  ListTable,
  RowDangerButton,
  SelectField,
  ShowOlder,
  TextField,
  useConfirmedRemoval,
  useCursorPage,
} from '../ui.js';

/** A suppression as `GET /roster/suppressions` answers it. */
interface SuppressionView {
  id: string;
  email: string | null;
  origin: Origin;
  reason: string | null;
  createdAt: string;
}

type Origin = 'bounce' | 'complaint' | 'manual' | 'erasure';

const ORIGIN_LABELS: Record<Origin, string> = {
  bounce: 'Hard bounce',
  complaint: 'Spam complaint',
  manual: 'Added by hand',
  erasure: 'Erased person',
};
const FILTER_LABELS: Record<'' | Origin, string> = { '': 'All origins', ...ORIGIN_LABELS };

/** The project's suppression list (100 at a time, newest first, filtered by origin): add an address, remove an entry. */
export function SuppressionsPage() {
  const [origin, setOrigin] = useState<'' | Origin>('');
  const [email, setEmail] = useState('');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const { items, hasMore, error, setError, older } = useCursorPage<SuppressionView>(
    'roster/suppressions',
    (cursor) => ({ limit: 100, origin: origin || undefined, cursor }),
    [origin, version],
  );

  const done = (message: string) => {
    setStatus(message);
    setVersion((v) => v + 1);
  };

  async function add(event: Event) {
    event.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const result = await api<{ suppression: SuppressionView; created: boolean; unsubscribed: boolean }>(
        'POST',
        'roster/suppressions',
        { json: { email, ...(reason.trim() ? { reason: reason.trim() } : {}) } },
      );
      setEmail('');
      setReason('');
      done(
        result.created
          ? `${result.suppression.email} suppressed${result.unsubscribed ? ' (its contact was unsubscribed)' : ''}`
          : `${result.suppression.email} was already suppressed`,
      );
    } catch (e) {
      setError(e);
    }
  }

  const removal = useConfirmedRemoval((entry: SuppressionView) => ({
    title: `Remove ${entry.email ?? 'this erasure entry'} from the suppression list?`,
    label: 'Remove',
    path: `roster/suppressions/${entry.id}`,
    onDone: () => done(`${entry.email ?? 'Erasure entry'} removed from the suppression list`),
    children: (
      <p>Later writes may subscribe the address again. Its contact, if any, stays unsubscribed until then.</p>
    ),
  }));

  return (
    <main id="main" tabIndex={-1}>
      <h1>Suppressions</h1>
      <p>
        Addresses no write can make subscribed: hard bounces and spam complaints reported by your email
        provider, addresses added by hand, and erased people (kept only as a hash, shown without an address).
      </p>
      <CreateForm id="new-suppression" title="Suppress an address" submit="Suppress" onSubmit={add}>
        <FieldGrid>
          <TextField
            id="suppression-email"
            label="Email"
            type="email"
            required
            value={email}
            onValue={setEmail}
          />
          <TextField
            id="suppression-reason"
            label="Reason (optional)"
            maxLength={1000}
            value={reason}
            onValue={setReason}
          />
        </FieldGrid>
      </CreateForm>
      <div class="toolbar">
        <SelectField
          id="suppression-origin"
          label="Origin"
          value={origin}
          labels={FILTER_LABELS}
          onValue={setOrigin}
        />
      </div>
      <Feedback error={error} status={status} />
      <ListTable
        items={items}
        emptyTitle="No suppressions"
        emptyHint={
          origin ? 'No entry has this origin.' : 'Bounces, complaints and addresses you add appear here.'
        }
        caption="Suppressed addresses, newest first"
        columns={[
          'Email',
          'Origin',
          { label: 'Reason', class: 'wide' },
          { label: 'Added', class: 'wide' },
          ACTIONS_COLUMN,
        ]}
        row={(entry) => (
          <tr key={entry.id}>
            <td>{entry.email ?? <em>erased</em>}</td>
            <td>{ORIGIN_LABELS[entry.origin]}</td>
            <td class="wide">{entry.reason ?? ''}</td>
            <td class="wide">{formatDate(entry.createdAt)}</td>
            <td class="row-actions">
              <RowDangerButton
                label="Remove"
                row={entry.email ?? entry.id}
                onClick={() => removal.ask(entry)}
              />
            </td>
          </tr>
        )}
      />
      <ShowOlder hasMore={hasMore} onClick={older}>
        Show older entries
      </ShowOlder>
      {removal.dialog}
    </main>
  );
}
