import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

// V8's sampling profiler around one piece of work (bench/profile.ts): the `.cpuprofile` covers that work
// only, not the process's start or set-up.

/** Runs `work`; with a `path`, under the CPU profiler, writing the profile there. */
export async function profiled(path: string | undefined, work: () => Promise<void>): Promise<void> {
  if (path === undefined || path === '') return work()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    await work()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(path, JSON.stringify(profile))
    session.disconnect()
  }
}
