import { resolve } from 'node:path'
import { UsageError } from '../cli/args.js'

/**
 * The file of `--store sqlite:PATH` for the inspect page (absolute). Only SQLite: the page reads the file
 * another process writes; `memory:` keeps nothing another process could read.
 *
 * @example
 * ```ts
 * openStorePath('sqlite:./mx.db') // '/home/me/mx.db'
 * ```
 */
export function openStorePath(url: string): string {
  const match = /^sqlite:(?:\/\/)?(.*)$/i.exec(url.trim())
  if (!match || match[1]!.trim() === '') throw new UsageError('--store must be sqlite:PATH')
  return resolve(match[1]!)
}
