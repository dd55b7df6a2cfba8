import { startPartnerBackend } from './backend.js'

// `npm run example:partner` (PORT, DB and TIME_SCALE from the environment): the example partner backend
// on http://127.0.0.1:8080, with MX simulated in-process. Open it in a browser (docs/embedding.md).
const backend = await startPartnerBackend({
  port: Number(process.env.PORT ?? 8080),
  dbPath: process.env.DB ?? 'partner-backend.db',
  timeScale: Number(process.env.TIME_SCALE ?? 0.1),
})
console.log(`partner backend on ${backend.url}`)
for (const m of backend.members) console.log(`  ${m.name}: ${m.memberGuid}`)
const stop = () => void backend.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
