/**
 * Background mode: what closing the window and closing the last window mean. With
 * `desktop.background` on (the default) closing the window only hides it: the core keeps switching
 * trading windows and healing services, which the trader believes are on. Only Quit (tray menu,
 * app menu, the OS) ends the app, after the quit guard (quit-guard.ts). Pure, so it is unit-tested
 * without Electron.
 */

/** Passed by the autostart entry and login item: start with the window hidden (the tray shows state). */
export const HIDDEN_FLAG = '--hidden'

export const startHidden = (argv: readonly string[]): boolean => argv.includes(HIDDEN_FLAG)

export interface CloseFacts {
  /** settings desktop.background */
  background: boolean
  /** A quit was asked for (and passed the guard): closing is part of it. */
  quitting: boolean
}

/** The window's `close` event: `hide` means preventDefault() and hide it. */
export function closeAction(f: CloseFacts): 'hide' | 'close' {
  return f.background && !f.quitting ? 'hide' : 'close'
}

/** `window-all-closed`: without background mode, the last window closing quits (the old behaviour). */
export function allClosedAction(f: CloseFacts): 'quit' | 'stay' {
  return f.background && !f.quitting ? 'stay' : 'quit'
}
