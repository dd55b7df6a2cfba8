import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'

// The package as a partner gets it (issue 17): `npm pack` of this checkout, installed into a fresh consumer
// project by npm itself, offline. `npm ci --offline` needs a lockfile: the consumer's is cut from this
// project's own package-lock.json (the production closure, which is exactly what mx-reconnect's
// `dependencies` pull in), so every tarball comes from the npm cache that `npm ci` filled; the registry is
// never asked. `--ignore-scripts` skips better-sqlite3's native build; its binary, built for this Node by
// this project's install, is copied in instead (same version, from the same lockfile).

export const ROOT = resolve(import.meta.dirname, '../..')

/** Env for every npm/npx call here: offline, quiet, no update check. */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
    ...extra,
  }
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end; never rejects on a non-zero exit (the caller asserts on `code`). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? npmEnv() })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }))
  })
}

/** `RunResult` as one string for assertion messages. */
export const describeRun = (r: RunResult): string =>
  `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

/** `npm pack` of this checkout into `dest` (its `prepack` builds dist/); the tarball's path. */
export async function packProject(dest: string): Promise<string> {
  const packed = await run('npm', ['pack', '--pack-destination', dest], { cwd: ROOT })
  if (packed.code !== 0) throw new Error(`npm pack failed: ${describeRun(packed)}`)
  const tarballs = readdirSync(dest).filter((name) => name.endsWith('.tgz'))
  if (tarballs.length !== 1) throw new Error(`expected one tarball in ${dest}, found ${tarballs.join(', ')}`)
  return join(dest, tarballs[0]!)
}

interface LockEntry {
  readonly version?: string
  readonly dev?: boolean
  readonly devOptional?: boolean
  readonly [key: string]: unknown
}

interface Manifest {
  readonly name: string
  readonly version: string
  readonly license?: string
  readonly bin?: Record<string, string>
  readonly engines?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, unknown>
}

/** The consumer's dev dependencies (types only; the TypeScript compiler is this project's). */
const CONSUMER_DEV = ['@types/node', 'undici-types']

/**
 * Writes a consumer project into `dir` (package.json, package-lock.json, the tarball) and installs it with
 * `npm ci --offline --ignore-scripts`.
 */
export async function installConsumer(dir: string, tarball: string): Promise<RunResult> {
  mkdirSync(dir, { recursive: true })
  const file = 'mx-reconnect.tgz'
  copyFileSync(tarball, join(dir, file))
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  const typesNode = lock.packages['node_modules/@types/node']?.version
  if (typesNode === undefined) throw new Error('@types/node is not in package-lock.json')
  const consumer = {
    name: 'consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { 'mx-reconnect': `file:${file}` },
    devDependencies: { '@types/node': typesNode },
  }
  const packages: Record<string, unknown> = {
    '': {
      name: consumer.name,
      version: consumer.version,
      ...pick(consumer, ['dependencies', 'devDependencies']),
    },
    'node_modules/mx-reconnect': {
      version: manifest.version,
      resolved: `file:${file}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      ...pick(manifest, [
        'license',
        'dependencies',
        'peerDependencies',
        'peerDependenciesMeta',
        'bin',
        'engines',
      ]),
    },
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && entry.dev !== true && entry.devOptional !== true) packages[path] = entry
  }
  for (const name of CONSUMER_DEV) {
    const entry = lock.packages[`node_modules/${name}`]
    if (entry === undefined) throw new Error(`${name} is not in package-lock.json`)
    packages[`node_modules/${name}`] = entry
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(consumer, null, 2))
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      { name: consumer.name, version: consumer.version, lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ),
  )
  const installed = await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
  })
  if (installed.code === 0) reuseSqliteBinary(dir)
  return installed
}

function pick<T extends object>(value: T, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    keys.filter((key) => key in value).map((key) => [key, (value as Record<string, unknown>)[key]]),
  )
}

/** better-sqlite3's binary from this project's install (same version), so the consumer needs no build. */
function reuseSqliteBinary(dir: string): void {
  const relative = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'
  const built = join(ROOT, relative)
  if (!existsSync(built)) throw new Error(`${relative} is missing: run npm ci in ${ROOT}`)
  mkdirSync(dirname(join(dir, relative)), { recursive: true })
  copyFileSync(built, join(dir, relative))
}

/** A port free right now on 127.0.0.1 (for the README's fixed port, swapped out to avoid collisions). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolvePromise(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** A long-running child: everything it printed so far, and a wait for its end (all stdio closed). */
export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  /** Resolves when `text` has been printed (stdout or stderr); rejects if the process ends first. */
  readonly printed: (text: string) => Promise<void>
  /** Sends `signal` to the process, or to its whole process group when started as a group leader. */
  readonly stop: (signal: NodeJS.Signals) => void
  /** Resolves when the process has exited and every holder of its stdout/stderr (its children) is gone. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function start(
  command: string,
  args: readonly string[],
  cwd: string,
  env = npmEnv(),
  group = false,
): Running {
  const child = spawn(command, args, { cwd, env, detached: group })
  let output = ''
  const waiters: { text: string; resolve: () => void; reject: (error: Error) => void }[] = []
  let ended = false
  const check = () => {
    for (const waiter of waiters.splice(0)) {
      if (output.includes(waiter.text)) waiter.resolve()
      else waiters.push(waiter)
    }
  }
  child.stdout?.on('data', (chunk: Buffer) => ((output += chunk.toString()), check()))
  child.stderr?.on('data', (chunk: Buffer) => ((output += chunk.toString()), check()))
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.on('close', (code, signal) => {
      ended = true
      for (const waiter of waiters.splice(0))
        waiter.reject(new Error(`ended before printing "${waiter.text}":\n${output}`))
      resolvePromise({ code, signal })
    }),
  )
  const stop = (signal: NodeJS.Signals) => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      // already gone
    }
  }
  return {
    child,
    stop,
    output: () => output,
    printed: (text) =>
      new Promise((resolvePromise, reject) => {
        if (output.includes(text)) return resolvePromise()
        if (ended) return reject(new Error(`ended before printing "${text}":\n${output}`))
        waiters.push({ text, resolve: resolvePromise, reject })
      }),
    closed,
  }
}

/** True when nothing accepts connections on `port` any more. */
export function refused(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  )
}
