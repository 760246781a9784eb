import type { StackdeckClient } from '@contract'
import type { StackdeckBridge } from '../../../electron/preload/api-shape'
import { createIpcClient } from './ipc-client'
import { createWsClient, type WsClient } from './ws-client'

declare global {
  interface Window {
    stackdeck?: StackdeckBridge
  }
}

/** IPC inside Electron, WebSocket in a browser. Features import `getClient()` and never ask which. */
let client: StackdeckClient | null = null

export function initClient(token: string | null): StackdeckClient | null {
  if (window.stackdeck) client = createIpcClient(window.stackdeck)
  else if (token) client = createWsClient(token)
  else client = null
  return client
}

export function getClient(): StackdeckClient {
  if (!client) throw new Error('Stackdeck client used before initClient()')
  return client
}

export const isWsClient = (c: StackdeckClient | null): c is WsClient => c?.door === 'ws'
