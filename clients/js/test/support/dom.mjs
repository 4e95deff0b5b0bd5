// A DOM for the React hook tests (happy-dom), and React's act() environment flag.
import { GlobalRegistrator } from '@happy-dom/global-registrator';

GlobalRegistrator.register();
globalThis.IS_REACT_ACT_ENVIRONMENT = true;
