/**
 * The e2e specs drive the BUILT app (out/): a spec run after a source edit must not test yesterday's
 * build. Rebuilds only when a source changed since the last build's stamp (scripts/build-if-stale.mjs);
 * under `npm test`, which has just built, this is a hash of the sources and nothing more.
 */
import { resolve } from 'node:path'
import { buildIfStale } from '../scripts/build-if-stale.mjs'

export default function globalSetup(): void {
  const code = buildIfStale(resolve(import.meta.dirname, '..'), { force: false })
  if (code !== 0) throw new Error(`the build failed (exit ${code}); the e2e specs would test a stale or missing out/`)
}
