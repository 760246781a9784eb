/** Which door a call came through; recorded in announcements and the audit log. */
export type Door = 'ipc' | 'http' | 'ws' | 'scheduler' | 'supervisor' | 'system'

export interface CallContext {
  /** OS user for the window, token name for the API, or a subsystem name. */
  who: string
  door: Door
}

export const systemContext = (who: string, door: Door = 'system'): CallContext => ({ who, door })
