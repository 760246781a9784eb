#!/usr/bin/env node
/**
 * `stackdeck`: the command-line door. Plain Node (no Electron): it talks to a running host over
 * HTTP and WebSocket like any other client. Exit codes are documented in ./README.md.
 */
import { processIo, run } from './run'

const io = processIo()
run(process.argv.slice(2), io, process.env)
  .then((code) => {
    // exitCode (not exit()) lets stdout drain when it is a pipe.
    process.exitCode = code
  })
  .catch((err: unknown) => {
    io.err(`stackdeck: ${String(err)}`)
    process.exitCode = 1
  })
