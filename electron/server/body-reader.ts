import type { IncomingMessage } from 'node:http'
import type { ContractError } from '@core/api/contract'
import { decodeUtf8Strict, InvalidUtf8 } from './utf8'

/**
 * Reads a POST body into the input the dispatcher validates. Decisions, in order:
 *
 * - a declared `Content-Type` must be JSON (`application/json` or `application/*+json`, charset
 *   absent or UTF-8), or the answer is 415, whether or not a body follows;
 * - no `Content-Type` is accepted only for an empty body: `curl -X POST /stack/resume` with no
 *   data keeps working, but bytes nobody labelled are never guessed to be JSON;
 * - the body must be well-formed UTF-8 (400 names the offset of the first bad byte; it used to be
 *   rewritten to U+FFFD and saved), then well-formed JSON (400);
 * - an empty body is "no input" (`undefined`), which the dispatcher accepts only for operations
 *   whose input is entirely optional; `null` is a value and is refused there.
 */
export type BodyResult =
  { ok: true; input: unknown } | { ok: false; status: number; error: ContractError; close?: boolean }

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/

/** Why this Content-Type header is not JSON, or null when it is (or is absent). */
export function contentTypeProblem(header: string | undefined): string | null {
  if (header === undefined) return null
  const [media = '', ...params] = header.split(';').map((p) => p.trim())
  if (!JSON_TYPE.test(media.toLowerCase()))
    return `Content-Type "${header.slice(0, 100)}" is not JSON; send application/json`
  for (const p of params) {
    const [k, v = ''] = p.split('=').map((x) => x.trim().toLowerCase())
    const charset = v.replace(/^"|"$/g, '')
    if (k === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      return `Content-Type charset "${charset}" is not supported; send UTF-8`
    }
  }
  return null
}

class BodyTooLarge extends Error {}

function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > max) {
      reject(new BodyTooLarge())
      req.resume()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        // Answer 413 but keep draining, so the client reads our reply instead of a reset socket.
        reject(new BodyTooLarge())
        chunks.length = 0
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function readJsonBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  const type = req.headers['content-type']
  const typeProblem = contentTypeProblem(type)
  if (typeProblem) {
    req.resume()
    return { ok: false, status: 415, error: { code: 'invalid_input', message: typeProblem, path: '/' } }
  }
  let raw: Buffer
  try {
    raw = await readRaw(req, max)
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      return {
        ok: false,
        status: 413,
        close: true,
        error: { code: 'invalid_input', message: `Body exceeds ${max} bytes`, path: '/' },
      }
    }
    throw err
  }
  if (raw.length === 0) return { ok: true, input: undefined }
  if (type === undefined) {
    return {
      ok: false,
      status: 415,
      error: { code: 'invalid_input', message: 'A body needs Content-Type: application/json', path: '/' },
    }
  }
  let text: string
  try {
    text = decodeUtf8Strict(raw)
  } catch (err) {
    if (!(err instanceof InvalidUtf8)) throw err
    return {
      ok: false,
      status: 400,
      error: {
        code: 'invalid_input',
        message: `Body is not valid UTF-8: ${err.message.replace(/^invalid UTF-8: /, '')}`,
        path: '/',
      },
    }
  }
  // Whitespace only is still "nothing sent", as before.
  if (text.trim() === '') return { ok: true, input: undefined }
  try {
    return { ok: true, input: JSON.parse(text) as unknown }
  } catch (err) {
    return {
      ok: false,
      status: 400,
      error: {
        code: 'invalid_input',
        message: `Body is not valid JSON: ${(err as Error).message}`,
        path: '/',
      },
    }
  }
}
