import { createClient, type ClientOptions, type SluiceClient } from '@sluice/client';
import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

const noProvider = Symbol('no SluiceProvider');
const SluiceContext = createContext<SluiceClient | null | typeof noProvider>(noProvider);

/** Props of {@link SluiceProvider}: a client the app made (and closes), or a `url` (and `options`) for one the provider owns. */
export type SluiceProviderProps =
  | { client: SluiceClient; url?: never; options?: never; children?: ReactNode }
  | { client?: never; url: string; options?: ClientOptions; children?: ReactNode };

/**
 * Makes a Sluice client available to the hooks below it. Either pass `client` (made with `createClient`, e.g. at
 * module level; you close it), or `url` (and `options`): the provider then creates the client when it mounts and
 * closes it when it unmounts. The client connects when the first hook subscribes to something.
 */
export function SluiceProvider(props: SluiceProviderProps): ReactNode {
  const { client, url, children } = props;
  const [owned, setOwned] = useState<SluiceClient | null>(null);
  const options = useRef(props.options);
  options.current = props.options;
  useEffect(() => {
    if (client !== undefined || url === undefined) return undefined;
    const created = createClient(url, options.current);
    setOwned(created);
    return () => {
      created.close();
      setOwned((current) => (current === created ? null : current));
    };
  }, [client, url]);
  return createElement(SluiceContext.Provider, { value: client ?? owned }, children);
}

/** The client of the nearest {@link SluiceProvider}; null while a provider given a `url` is creating it. Throws outside a provider. */
export function useSluiceClient(): SluiceClient | null {
  const client = useContext(SluiceContext);
  if (client === noProvider) throw new Error('Sluice hooks must be used inside <SluiceProvider>');
  return client;
}
