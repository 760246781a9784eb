import { posix } from 'node:path'
import type { ConfigMount } from './config-view'

/**
 * The explanation Save & Restart gives when it refuses because a container bind-mounts the config
 * FILE, with the compose change that fixes it, computed from that container's actual mount.
 */

export interface RefusalContainer {
  id: string
  name: string
  endpoint?: string
}

export interface FileMountRefusal {
  /** One sentence for a list of refusals. */
  summary: string
  /** Why the save would not reach the container. */
  why: string
  /** The compose `volumes:` line to replace, and its replacement (short syntax, also valid for `docker run -v`). */
  fix: { replace: string; with: string }
  /** Where the service finds the file after the change. */
  containerPathAfter: string
  /** Things to check before applying the fix (other files in the directory, a renamed file…). */
  caveats: string[]
  /** Everything above as one text block for the UI, the CLI and logs. */
  text: string
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)

/** Directories an image keeps its own files in: mounting over them hides the image's content. */
const SYSTEM_DIRS = new Set([
  '/',
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/var',
  '/opt',
  '/root',
  '/home',
  '/app',
  '/srv',
  '/tmp',
  '/run',
])

export function fileMountRefusal(container: RefusalContainer, mount: ConfigMount): FileMountRefusal {
  const who = `container ${container.name} (${shortId(container.id)}${container.endpoint ? ` on ${container.endpoint}` : ''})`
  const srcDir = posix.dirname(mount.source)
  const srcBase = posix.basename(mount.source)
  const dstDir = posix.dirname(mount.destination)
  const dstBase = posix.basename(mount.destination)
  const caveats: string[] = []

  // Mounting the directory where the file was keeps the service's path unchanged, unless that
  // directory holds the image's own files: then mount at a dedicated /config and move the service.
  let target = dstDir
  if (SYSTEM_DIRS.has(dstDir)) {
    target = '/config'
    caveats.push(
      `${dstDir} holds the image's own files, so the directory is mounted at ${target} instead: point the service at ${posix.join(target, srcBase)}`,
    )
  } else {
    caveats.push(
      `the mount hides whatever the image keeps in ${dstDir}; if that is more than the config, mount at a dedicated path instead`,
    )
  }
  const containerPathAfter = posix.join(target, srcBase)
  if (srcBase !== dstBase && target === dstDir) {
    caveats.push(
      `the host file is ${srcBase} but the container reads ${dstBase}: after the change it is ${containerPathAfter}, so point the service there`,
    )
  }
  caveats.push(
    `the container also sees the other files of ${srcDir}, including Stackdeck's backups (${srcBase}.bak.*) and, briefly, its temporary file`,
  )
  if (mount.rw) {
    caveats.push(
      'the old mount was writable; the fix mounts read-only: drop ":ro" only if the service writes its own config',
    )
  }
  caveats.push('recreate the container (docker compose up -d) for the new mount to take effect')

  const fix = {
    replace: `- ${mount.source}:${mount.destination}${mount.rw ? '' : ':ro'}`,
    with: `- ${srcDir}:${target}:ro`,
  }
  const summary = `${who} bind-mounts the single file ${mount.source} at ${mount.destination}: it would keep reading the old config after the save`
  const why =
    'Stackdeck saves config.toml durably: it writes a temporary file, fsyncs it and renames it over the old one, ' +
    'so the host path gets a new inode. A bind mount of a single file is pinned to the inode it was started with, ' +
    'so the container goes on reading the old file, and its reload would load the old values. ' +
    'A bind mount of the directory looks the name up on every open and sees the new file at once.'
  const text = [
    `${summary}.`,
    why,
    `Fix: mount the directory. In the service's volumes, replace`,
    `    ${fix.replace}`,
    `with`,
    `    ${fix.with}`,
    ...caveats.map((c) => `  • ${c}`),
  ].join('\n')
  return { summary, why, fix, containerPathAfter, caveats, text }
}
