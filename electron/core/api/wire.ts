/**
 * The constants of the headless host's wire protocol, in one place for the three parties that
 * speak it: the host (electron/server/ws-door.ts, host.ts, openapi.ts), the CLI
 * (electron/cli/client.ts) and the renderer's WebSocket client (renderer/src/api/ws-client.ts).
 * Plain values with no imports, so the sandboxed renderer and the CLI bundle take them without
 * taking any core code along (the layering rule lets both import this file, and only this one,
 * at run time: eslint-rules/code-layering.js).
 */

/** The WebSocket endpoint: one socket carries calls (id-matched replies) and every event. */
export const WS_PATH = '/api/ws'

/** The subprotocol the host selects; a client that does not offer it is not spoken to. */
export const WS_PROTOCOL = 'stackdeck.v1'

/**
 * Browsers cannot set headers on a WebSocket, so the token rides in a second subprotocol,
 * `bearer.<token>`; other clients may send `Authorization: Bearer <token>` instead.
 */
export const WS_BEARER_PREFIX = 'bearer.'

/** The close code of a client that is done (RFC 6455 §7.4.1, normal closure). */
export const WS_CLOSE_NORMAL = 1000

/** `POST /api/rpc/<operation>` calls any operation with its input as the body and answers an envelope. */
export const RPC_PATH_PREFIX = '/api/rpc/'
