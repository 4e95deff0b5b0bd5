// `node --import ./test/support/react18.mjs --test …` runs the hook tests against React 18: imports of react and
// react-dom (from the tests and from @sluice/react's dist) resolve in test/react18/, which has React 18 installed
// (`npm ci --prefix test/react18`). react-dom's own require('react') finds the React beside it there.
import { register } from 'node:module';

register('./react18-resolve.mjs', import.meta.url);
