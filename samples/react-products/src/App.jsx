import { useMemo } from 'react';
import { useConnectionStatus, useLiveTable } from '@sluice/react';

const labels = {
  idle: 'Idle',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Closed',
};

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function App() {
  const status = useConnectionStatus();
  const { rows, ready, mode, error } = useLiveTable('public', 'products');
  const products = useMemo(() => [...rows].sort((a, b) => a.id - b.id), [rows]);

  return (
    <main>
      <header>
        <h1>Products</h1>
        <p className={`status ${status}`} data-testid="status" data-status={status}>
          {labels[status]}
        </p>
        <p className="meta" data-testid="mode" data-mode={mode} data-ready={ready}>
          {ready ? `${products.length} rows · ${mode}` : 'loading…'}
        </p>
      </header>
      {error && (
        <p className="error" data-testid="error">
          {error.code}: {error.message}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>name</th>
            <th>price</th>
            <th>tags</th>
            <th>details</th>
            <th>updated</th>
          </tr>
        </thead>
        <tbody data-testid="products">
          {products.map((product) => (
            <tr key={product.id} data-id={product.id}>
              <td>{product.id}</td>
              <td className="name">{product.name}</td>
              <td className="price" data-price={product.price ?? ""}>{product.price == null ? '—' : money.format(product.price)}</td>
              <td>{product.tags.join(', ')}</td>
              <td>{product.details == null ? '' : JSON.stringify(product.details)}</td>
              <td>{new Date(product.updated_at).toLocaleTimeString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <footer>
        Every row is the table&apos;s current state: the snapshot, then each committed transaction, through reconnects and
        server restarts. Change <code>public.products</code> with SQL and watch.
      </footer>
    </main>
  );
}
