import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The page talks to Sluice on its own origin: the dev server (`npm run dev`) and the preview of the build
// (`npm run preview`) pass /realtime (WebSocket) and /api (the HTTP fallback) on to the server at SLUICE_URL.
const target = process.env.SLUICE_URL || 'http://localhost:8080';
const proxy = {
  '/realtime': { target, ws: true },
  '/api': { target },
};

export default defineConfig({
  plugins: [react()],
  // @sluice/react comes from this repository (file: dependency): use this app's single copy of React.
  resolve: { dedupe: ['react', 'react-dom'] },
  server: { proxy },
  preview: { proxy },
});
