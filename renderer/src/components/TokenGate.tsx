import { useState } from 'react'
import { storeToken } from '../api/token'

/** Shown in a browser that has no token or whose token was refused. */
export function TokenGate({ refused }: { refused: boolean }) {
  const [value, setValue] = useState('')
  return (
    <main className="gate">
      <h1>Stackdeck</h1>
      <p>{refused ? 'The host refused this token.' : 'This headless host needs an access token.'}</p>
      <p className="muted">Open the URL the host printed (it carries the token), or paste a token here.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!value.trim()) return
          storeToken(value.trim())
          location.reload()
        }}
      >
        <label className="field">
          <span>Token</span>
          <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        </label>
        <button className="primary" type="submit">
          Connect
        </button>
      </form>
    </main>
  )
}
