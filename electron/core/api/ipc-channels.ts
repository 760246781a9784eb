/** IPC channel names shared by main and preload. Pure constants: the sandboxed preload bundles this file. */
export const OP_CHANNEL_PREFIX = 'stackdeck:op:'
export const EVENT_CHANNEL = 'stackdeck:event'
/** Main hands the preload the contract's names through argv, so the preload never imports the contract's code. */
export const OPS_ARG = '--stackdeck-ops='
export const EVENTS_ARG = '--stackdeck-events='
