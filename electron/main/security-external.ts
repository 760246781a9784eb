/**
 * Which links may leave the app for the OS browser, and the question asked before they do.
 * `shell.openExternal` hands a URL to the OS, which will happily run `file:`, `smb:` or custom
 * handler schemes, so only https pages on the origins listed here ever reach it.
 */

/**
 * The only origins a link may open. Keep this list short and keep it here: README.md ("Security")
 * documents it, and the CI checklist test asserts it is what the bundle ships.
 * stackdeck.dev hosts the project's documentation, including the settings reference whose schema
 * `$id` (schemas/settings.schema.json) points there.
 */
export const ALLOWED_EXTERNAL_ORIGINS: readonly string[] = Object.freeze(['https://stackdeck.dev'])

export type ExternalDecision = { allow: true; url: string; origin: string } | { allow: false; reason: string }

export function externalLinkDecision(
  raw: string,
  allowed: readonly string[] = ALLOWED_EXTERNAL_ORIGINS,
): ExternalDecision {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { allow: false, reason: 'not a URL' }
  }
  if (url.protocol !== 'https:') return { allow: false, reason: `scheme ${url.protocol} is never opened` }
  // Credentials in a link are a phishing tell (`https://stackdeck.dev@evil/` has host evil, but
  // `https://user@stackdeck.dev/` would still show a misleading URL in the dialog).
  if (url.username || url.password) return { allow: false, reason: 'URL carries credentials' }
  if (!allowed.includes(url.origin))
    return { allow: false, reason: `origin ${url.origin} is not on the allow-list` }
  // The serialised URL, not the raw string, is what the dialog shows and the OS receives.
  return { allow: true, url: url.href, origin: url.origin }
}

/** Options for `dialog.showMessageBox`: the safe answer (stay) is the default and the cancel. */
export function confirmLeaveOptions(url: string) {
  return {
    type: 'question' as const,
    buttons: ['Stay in Stackdeck', 'Open in browser'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    title: 'Open link in your browser?',
    message: 'This link opens outside Stackdeck, in your web browser.',
    detail: url,
  }
}

/** Index of the button in `confirmLeaveOptions` that means "open". */
export const OPEN_BUTTON = 1
