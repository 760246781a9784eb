/**
 * The admin token the host generates when none is configured, kept in `<stateDir>/api-token` so a
 * restart keeps the URL the trader bookmarked. Written with the durable replace (temp file, fsync,
 * rename, fsync the directory) at mode 0600: a crash leaves the old token or the new one, never half.
 *
 * A file that group or others may read (or that is not ours, or not a plain file) is REFUSED, not
 * re-tightened: by the time we look, someone may already have read it, and chmod cannot take that
 * back. The host does not start, and the message says how to go on (delete it for a fresh token, or
 * chmod 600 it when you know nobody else could read it). On Windows, POSIX modes mean nothing and
 * are not checked.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { replaceFileDurably, type DirSync } from '@core/shared/durable-file'
import { CoreError } from '@core/errors'

export const TOKEN_FILE_NAME = 'api-token'
export const tokenFilePath = (stateDir: string): string => join(stateDir, TOKEN_FILE_NAME)

/** What generateToken() makes (base64url), with the same 16-character floor as STACKDECK_TOKEN. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,512}$/

const checksModes = process.platform !== 'win32'

/** The stored token, or null when there is no file yet. Throws a CoreError when the file must not be used. */
export async function readTokenFile(path: string): Promise<string | null> {
  let fh
  try {
    // O_NOFOLLOW: a symlink planted in the state directory must not point us at someone else's file.
    fh = await open(path, constants.O_RDONLY | (checksModes ? constants.O_NOFOLLOW : 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') throw refuse(path, 'is a symbolic link')
    throw new CoreError('io_error', `Cannot read the admin token file ${path}: ${(err as Error).message}`, { path, cause: err })
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw refuse(path, 'is not a regular file')
    if (checksModes) {
      const uid = process.getuid?.()
      if (uid !== undefined && st.uid !== uid) throw refuse(path, `belongs to uid ${st.uid}, not to this user (uid ${uid})`)
      if ((st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(3, '0')
        throw refuse(path, `has mode ${mode}: group or others may read it, so the token in it may have leaked`)
      }
    }
    const token = (await fh.readFile('utf8')).trim()
    if (!TOKEN_SHAPE.test(token)) throw refuse(path, 'does not hold a token (16 or more characters of A-Z a-z 0-9 _ -)')
    return token
  } finally {
    await fh.close()
  }
}

function refuse(path: string, why: string): CoreError {
  return new CoreError(
    'forbidden',
    `Refusing the admin token file ${path}: it ${why}. Delete it to have a new token made at the next start ` +
      `(the old URL stops working), or, if you are sure nobody else could read it, \`chmod 600 ${path}\`. ` +
      'Setting STACKDECK_TOKEN also bypasses the file.',
    { path },
  )
}

/** Stores `token` durably at mode 0600 (the durable replace creates a new file, so the mode is the new file's). */
export function writeTokenFile(path: string, token: string): Promise<DirSync> {
  return replaceFileDurably(path, `${token}\n`, { mode: 0o600 })
}
