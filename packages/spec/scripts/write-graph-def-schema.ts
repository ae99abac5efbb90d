// Writes the published JSON Schema of GraphDef (`npm run schema:write`). A test fails when the
// committed file and the zod schema it comes from disagree.
import { writeFileSync } from "node:fs";
import { graphDefJsonSchema } from "../src/index.js";

const file = new URL("../schema/graph-def.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(graphDefJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
