#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, and by `prepack` into the package).
import('../dist/src/cli/main.js').catch((error) => {
  process.stderr.write(
    `mx-reconnect: cannot start (${error instanceof Error ? error.message : String(error)}); run \`npm run build\` first\n`,
  )
  process.exitCode = 1
})
