import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import type { StackdeckClient } from '@contract'
import { App } from './App'
import { initClient, isWsClient } from './api/client'
import { onTokenInHash, takeTokenFromLocation } from './api/token'
import { useAlerts } from './store/alerts'
import { useConnection } from './store/connection'
import { startSafetyFeed } from './store/safety'
import './styles.css'

function wire(client: StackdeckClient) {
  const conn = useConnection.getState()
  conn.set({ door: client.door, state: client.door === 'ipc' ? 'open' : 'connecting' })
  if (isWsClient(client)) client.onState((s) => useConnection.getState().set({ state: s }))
  client.on('app.alert', (a) => useAlerts.getState().add(a))
  startSafetyFeed(client)
  client
    .call('app.info', {})
    .then((info) =>
      useConnection
        .getState()
        .set({ who: info.who, version: info.version, host: { ...info.instance, pid: info.pid } }),
    )
    .catch(() => undefined)
}

let client = initClient(window.stackdeck ? null : takeTokenFromLocation())
if (!client) useConnection.getState().set({ state: 'no-token', door: 'ws' })
else wire(client)

// A rotated token arrives as a new `#token=` on the open page (no reload): the socket reconnects with
// it, or, on a page that had no token yet, the client starts now.
if (!window.stackdeck)
  onTokenInHash((token) => {
    if (isWsClient(client)) client.setToken(token)
    else if (!client) {
      client = initClient(token)
      if (client) wire(client)
    }
  })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
