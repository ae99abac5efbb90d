// The CLI run from the TypeScript sources, without a build: `npm run dev -- <args>` (the
// "@blockwork/source" condition makes the workspace packages resolve to their src/).
import { run } from "./index.js";
await run();
