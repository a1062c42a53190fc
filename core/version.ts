import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The toolkit's version, recorded with every run so results can be traced to the code that made them. */
export const TOOL_VERSION: string = (require('../package.json') as { version: string }).version;
