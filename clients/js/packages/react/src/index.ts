export { SluiceProvider, useSluiceClient, type SluiceProviderProps } from './provider.js';
export {
  useConnectionStatus,
  useLiveTable,
  usePresence,
  useRealtime,
  useRoom,
  type LiveTableState,
  type UseLiveTableOptions,
  type UseRoomOptions,
} from './hooks.js';
