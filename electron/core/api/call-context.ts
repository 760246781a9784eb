/** Which door a call came through; recorded in announcements and the audit log. */
export type Door = 'ipc' | 'http' | 'ws' | 'scheduler' | 'supervisor' | 'system'

export interface CallContext {
  /** OS user for the window, token name for the API, or a subsystem name. */
  who: string
  door: Door
  /**
   * Set when the caller holds an `agent` token: the one agent id it may act for. The runs domain
   * refuses it any run of another agent; every other operation is refused at the door.
   */
  agent?: string
  /**
   * Aborted when the caller has gone (the HTTP client closed its connection). A long wait, such as
   * a command long-poll, stops there, so a caller that is gone never takes something it cannot get.
   */
  signal?: AbortSignal
}

export const systemContext = (who: string, door: Door = 'system'): CallContext => ({ who, door })
