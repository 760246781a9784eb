import { useSyncExternalStore } from 'react'

/**
 * One shared 1 s ticker for every "N seconds ago" on screen, instead of a timer per row.
 * The interval runs only while something is subscribed.
 */
const listeners = new Set<() => void>()
let now = Date.now()
let timer: ReturnType<typeof setInterval> | null = null

function subscribe(l: () => void): () => void {
  listeners.add(l)
  timer ??= setInterval(() => {
    now = Date.now()
    for (const fn of listeners) fn()
  }, 1000)
  return () => {
    listeners.delete(l)
    if (listeners.size === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  }
}

export const useNow = (): number => useSyncExternalStore(subscribe, () => now)
