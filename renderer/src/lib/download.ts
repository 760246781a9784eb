/**
 * Saves text as a file through the browser: a Blob behind a temporary <a download>. Works the same
 * in Electron and in a browser on the headless host, and needs no Node or IPC.
 */
export function downloadText(fileName: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Revoking at once can cancel the download in some engines; a minute is plenty to start it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
