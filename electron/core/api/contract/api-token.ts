import { Type } from 'typebox'
import { op } from '../define'

/**
 * The headless host's own admin token. Only the host has one (the desktop window uses IPC and no
 * token), so the core answers `unavailable` until a host installs the rotation (wiring/token-rotation.ts).
 */
export const apiTokenOperations = {
  'api.rotateToken': op({
    summary:
      'Make a new admin token for the headless host, keep it in the state directory and stop accepting the old one for new requests and connections. Refused (conflict) when the admin token is fixed by STACKDECK_TOKEN or api.token.',
    scope: 'admin',
    input: Type.Object(
      { reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why; goes into the audit log.' })) },
      { additionalProperties: false },
    ),
    result: Type.Object({
      token: Type.String({ description: 'The new admin token, in clear: shown once, store it like a password.' }),
      url: Type.String({ description: 'The host URL carrying the new token in its fragment (`…/#token=…`).' }),
    }),
    audit: true,
  }),
} as const
