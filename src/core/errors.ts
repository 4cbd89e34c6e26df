// Two kinds of error. A UserError is the user's mistake (not audio, too long, bad link): it carries a
// friendly message, is shown as is and is never retried. Anything else is a fault: logged and retried.

export type UserErrorCode =
  | 'BAD_INPUT'
  | 'NOT_AUDIO'
  | 'SILENT'
  | 'TOO_LONG'
  | 'TOO_SHORT'
  | 'TOO_LARGE'
  | 'BAD_URL'
  | 'FORBIDDEN_ADDRESS'
  // a member without the permission a command needs (/library: Manage Server, Slack library admins)
  | 'NOT_ALLOWED'
  | 'UNREACHABLE'
  | 'NO_LIBRARY'
  | 'NO_MODEL'
  | 'INCOMPATIBLE'
  | 'BUSY'
  | 'RATE_LIMITED'
  | 'CANCELLED';

export class UserError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export const isUserError = (e: unknown): e is UserError => e instanceof UserError;
