/**
 * Who may call the IPC door: the top-level frame of our own renderer, nothing else.
 * An iframe inside our page (even one on our origin, e.g. a future embedded doc) and a frame that
 * navigated away or was destroyed before its message arrived (`senderFrame` is then null) are
 * refused. Pure, so the rule is unit-tested without Electron.
 */

/** The part of Electron's `WebFrameMain` the check reads. */
export interface SenderFrame {
  url: string
  /** Null only for a main frame; a subframe's parent is its embedding frame. */
  parent: unknown
}

/** Returns why the sender is refused, or null when it may call. */
export function senderRefusal(
  frame: SenderFrame | null | undefined,
  isTrustedUrl: (url: string) => boolean,
): string | null {
  if (!frame) return 'IPC from a frame that is gone (none)'
  if (frame.parent !== null) return `IPC from a subframe ${frame.url || '(no url)'}`
  if (!isTrustedUrl(frame.url)) return `IPC from untrusted frame ${frame.url || '(none)'}`
  return null
}
