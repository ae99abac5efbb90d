import { defineConfig } from "vitest/config";

// One root config for every workspace. Tests resolve workspace packages to their TypeScript
// sources through the "@blockwork/source" export condition, so no build is needed to test.
export default defineConfig({
  resolve: { conditions: ["@blockwork/source"] },
  ssr: { resolve: { conditions: ["@blockwork/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts", "test/**/*.test.ts"],
    // The tarball install test packs every package and installs it into a fresh project, which
    // compiles better-sqlite3 from source (about 5 minutes here): `npm run test:install` runs it.
    exclude: ["**/node_modules/**", "**/dist/**", "**/*.int.test.ts", ...(process.env["BLOCKWORK_INSTALL_TEST"] ? [] : ["test/install.test.ts"])],
    setupFiles: ["./test/setup/fail-on-console.ts"],
    typecheck: {
      enabled: true,
      include: ["**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
    // Workers resolve workspace packages to source too, also for modules the CLI loads with tsx.
    execArgv: ["--conditions=@blockwork/source"],
    testTimeout: 30_000,
  },
});
