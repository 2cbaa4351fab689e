// The page: sign-in when there is no token, else the header and the view
// the URL's fragment names.
import { useEffect } from 'preact/hooks';
import { whoami } from './access.ts';
import { ApiError } from './api.ts';
import { useRoute, useSession } from './hooks.ts';
import { hrefOf, type Route } from './router.ts';
import { session } from './session.ts';
import { Login } from './views/Login.tsx';
import { Overview } from './views/Overview.tsx';
import { PlanView } from './views/Plan.tsx';
import { PredictionsView } from './views/Predictions.tsx';
import { ServiceView } from './views/Service.tsx';

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'plan': return <PlanView key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} />;
    case 'service': return <ServiceView key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} />;
    case 'predictions': return <PredictionsView namespace={route.namespace} service={route.service} />;
    default: return <Overview />;
  }
}

export function App() {
  const { token, user } = useSession();
  const route = useRoute();
  // After a reload the token is still in the tab: learn whose it is (a revoked one signs out).
  useEffect(() => {
    if (token && !user) whoami().then(session.identify, (err: Error) => session.expire(err instanceof ApiError ? err.message : String(err)));
  }, [token, user]);
  useEffect(() => {
    document.title = route.view === 'overview' ? 'Switchyard' : `${route.view === 'plan' ? route.name : route.view === 'service' ? route.name : 'Predictions'} · Switchyard`;
  }, [route]);

  if (!token) return <Login />;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href={hrefOf({ view: 'overview' })}>Switchyard</a>
        <nav aria-label="Views">
          <a href={hrefOf({ view: 'overview' })} aria-current={route.view === 'overview' ? 'page' : undefined}>Overview</a>
          <a href={hrefOf({ view: 'predictions' })} aria-current={route.view === 'predictions' ? 'page' : undefined}>Predictions</a>
        </nav>
        <span class="user">{user ? <>Signed in as <strong>{user.name}</strong> ({user.role}{user.groups.length > 0 ? `; groups ${user.groups.join(', ')}` : ''})</> : 'Checking token…'}</span>
        <button type="button" onClick={() => session.signOut()}>Sign out</button>
      </header>
      {user ? <View route={route} /> : <main id="main" tabIndex={-1}><p>Checking token…</p></main>}
    </>
  );
}
