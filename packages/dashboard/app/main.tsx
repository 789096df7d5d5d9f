import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorized, type Session, type SessionProbe } from './api.js';
import { AudiencesPage } from './pages/audiences.js';
import { AuditPage } from './pages/audit.js';
import { ContactPage } from './pages/contact.js';
import { ContactsPage } from './pages/contacts.js';
import { ImportPage } from './pages/import.js';
import { JobsPage } from './pages/jobs.js';
import { KeysPage } from './pages/keys.js';
import { OverviewPage } from './pages/overview.js';
import { PropertiesPage } from './pages/properties.js';
import { SignIn } from './pages/sign-in.js';
import { SuppressionsPage } from './pages/suppressions.js';
import { TopicsPage } from './pages/topics.js';
import { WebhooksPage } from './pages/webhooks.js';
import './styles.css';
import { ErrorMessage, useRoute } from './ui.js';

const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'contacts', label: 'Contacts' },
  { path: 'import', label: 'Import' },
  { path: 'jobs', label: 'Jobs' },
  { path: 'audiences', label: 'Audiences' },
  { path: 'topics', label: 'Topics' },
  { path: 'properties', label: 'Properties' },
  { path: 'suppressions', label: 'Suppressions' },
  { path: 'webhooks', label: 'Webhooks' },
  { path: 'keys', label: 'API keys' },
  { path: 'audit', label: 'Audit log' },
];

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();

  useEffect(() => {
    // Not signed in is a 200 answer, so a fresh load logs no failed request in the console.
    api<SessionProbe>('GET', 'session').then((probe) => {
      if (probe.signedIn) return setSession(probe);
      if (probe.message) setNotice(probe.message);
      setSession(null);
    }, setError);
    return onUnauthorized(() => {
      setNotice('Your session ended (signed out, expired, or its key was revoked): sign in again.');
      setSession(null);
    });
  }, []);

  useEffect(() => {
    const page =
      route[0] === 'contacts' && route[1]
        ? 'Contact'
        : route[0] === 'jobs' && route[1]
          ? 'Job'
          : (NAV.find((n) => n.path === route[0])?.label ?? 'Overview');
    document.title = session ? `${page} · roster` : 'Sign in · roster';
  }, [route, session]);

  if (error) {
    return (
      <main id="main" tabIndex={-1} class="sign-in">
        <h1>roster</h1>
        <ErrorMessage error={error} />
      </main>
    );
  }
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }

  // The Overview is the home page: an empty or unknown route shows it.
  const [section = 'overview', id] = route;
  let page = <OverviewPage />;
  if (section === 'contacts') page = id ? <ContactPage id={id} /> : <ContactsPage />;
  else if (section === 'import') page = <ImportPage />;
  else if (section === 'jobs') page = <JobsPage id={id} />;
  else if (section === 'keys') page = <KeysPage />;
  else if (section === 'audiences') page = <AudiencesPage />;
  else if (section === 'webhooks') page = <WebhooksPage />;
  else if (section === 'topics') page = <TopicsPage />;
  else if (section === 'properties') page = <PropertiesPage />;
  else if (section === 'audit') page = <AuditPage />;
  else if (section === 'suppressions') page = <SuppressionsPage />;

  async function signOut() {
    await api('DELETE', 'session').catch(() => undefined);
    setNotice('Signed out.');
    setSession(null);
  }

  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">roster</span>
        <nav aria-label="Sections">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={`#/${n.path}`} aria-current={section === n.path ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="project" title="Project">
          {session.project.name}
        </span>
        {session.auth === 'key' ? (
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </header>
      {page}
    </>
  );
}

render(<App />, document.getElementById('app')!);
