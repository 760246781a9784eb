/**
 * Child process for the crash-safety test: saves config.toml through the durable write protocol in
 * a loop, alternating between two contents, until the parent SIGKILLs it at a random moment.
 * It uses the writer directly (validation is not what a crash can break) so it starts fast.
 * argv: <configPath> <contentA path> <contentB path>
 */
import { readFileSync } from 'node:fs'
import { backupAndWrite, currentFileHash, sha256 } from '../config-writer'

async function main(): Promise<void> {
  const [configPath, aPath, bPath] = process.argv.slice(2)
  if (!configPath || !aPath || !bPath) throw new Error('usage: crash-save-child <config> <a> <b>')
  const a = readFileSync(aPath, 'utf8')
  const b = readFileSync(bPath, 'utf8')
  const hashA = sha256(a)
  let saves = 0
  for (;;) {
    const current = await currentFileHash(configPath)
    if (current === null) throw new Error('config vanished')
    await backupAndWrite(configPath, current === hashA ? b : a, current, { keepBackups: 4 })
    // The parent starts its random kill timer once saves are flowing.
    if (++saves === 1) process.stdout.write('ready\n')
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-save-child: ${String((err as Error)?.stack ?? err)}\n`)
  process.exit(1)
})
