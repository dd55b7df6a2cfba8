import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './consumer.js'

// The README's own examples, as the package test runs them (issue 17): its TypeScript blocks are
// typechecked and run in the consumer project, its shell blocks run through the installed bin.

const readme = (): string => readFileSync(join(ROOT, 'README.md'), 'utf8')

/** The contents of every fenced block of `lang` in the README, in order. */
export function codeBlocks(lang: string): string[] {
  const blocks: string[] = []
  const fence = new RegExp('^```' + lang + '\\n([^]*?)^```', 'gm')
  for (const match of readme().matchAll(fence)) blocks.push(match[1]!)
  return blocks
}

/** A shell block as commands: `\` continuations joined, trailing `# comments` dropped, blanks skipped. */
export function shellCommands(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** Every `npx mx-reconnect <command> --flags…` in the README's shell blocks: the command and its flags. */
export function binInvocations(): { command: string; flags: string[]; line: string }[] {
  return codeBlocks('sh')
    .flatMap(shellCommands)
    .flatMap((line) => {
      const match = /npx mx-reconnect (\S+)(.*)$/.exec(line)
      if (match === null) return []
      const flags = [...match[2]!.matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((m) => m[1]!)
      return [{ command: match[1]!, flags, line }]
    })
}
