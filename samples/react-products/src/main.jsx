import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SluiceProvider } from '@sluice/react';
import { App } from './App.jsx';
import './styles.css';

// Same origin by default (the Vite proxy passes /realtime on to Sluice); ?server=ws://host:port/realtime connects elsewhere.
const server = new URLSearchParams(location.search).get('server') ?? '/realtime';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <SluiceProvider url={server} options={{ reconnect: { minMs: 250, maxMs: 5_000 }, fallback: { afterMs: 10_000, pollMs: 5_000 } }}>
      <App />
    </SluiceProvider>
  </StrictMode>,
);
