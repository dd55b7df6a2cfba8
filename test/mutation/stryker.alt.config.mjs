// A second Stryker configuration for a run beside another one (npm run mutate): the same settings, its
// JSON report at MX_MUTATE_REPORT and its sandboxes under .stryker-tmp/alt, so the two do not clobber.
// Usage: MX_MUTATE_REPORT=reports/mutation/x.json npx stryker run test/mutation/stryker.alt.config.mjs -m …
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { URL } from 'node:url'

const base = JSON.parse(readFileSync(new URL('../../stryker.config.json', import.meta.url), 'utf8'))
delete base.$schema

export default {
  ...base,
  jsonReporter: { fileName: process.env.MX_MUTATE_REPORT ?? 'reports/mutation/alt.json' },
  htmlReporter: {
    fileName: (process.env.MX_MUTATE_REPORT ?? 'reports/mutation/alt.json').replace(/json$/, 'html'),
  },
  tempDirName: '.stryker-tmp/alt',
  // Not the other run's sandboxes (Stryker skips only its own temp dir by default).
  ignorePatterns: ['/.stryker-tmp'],
}
