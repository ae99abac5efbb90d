// Builds the run viewer: ui/main.ts (with Mermaid) bundled by esbuild into dist/ui/, next to
// index.html and the stylesheet. `npm run build` runs it, so a clean checkout builds it too.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/ui`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
await build({
  entryPoints: { app: `${root}ui/main.ts` },
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: false,
  outdir: `${out}/assets`,
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
  legalComments: "none",
});
copyFileSync(`${root}ui/index.html`, `${out}/index.html`);
copyFileSync(`${root}ui/style.css`, `${out}/assets/app.css`);
