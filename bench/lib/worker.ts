import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// Figures that measure memory or CPU run in a fresh child process each, so one figure's heap, JIT state and
// open sockets never count against another. The worker prints one JSON line on stdout as its result;
// progress goes to stderr, which is passed through.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `bench/workers/<name>.ts` with `args` (as JSON) and returns its JSON result. */
export function runWorker<T>(name: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', `bench/workers/${name}.ts`, JSON.stringify(args)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`bench worker ${name} exited with code ${String(code)}`))
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`bench worker ${name} printed no JSON result`))
      }
    })
  })
}

/** In a worker: the parsed argument. */
export function workerArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T
}

/** In a worker: prints the result line and exits. */
export function workerDone(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

/** `global.gc` (the worker runs with --expose-gc); a no-op when absent. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
}
