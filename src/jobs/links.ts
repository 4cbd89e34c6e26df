// The check of a link a member typed, the same for a song (/visualize) and a video (/library add), made by
// the bot at intake and again by the worker: a well-formed http(s) URL. The address checks (no private,
// loopback, link-local... host, on every hop) are the worker's, where the link is fetched (src/media/fetch.ts).
import { UserError } from '../core/errors.js';

export function checkLink(link: string): URL {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new UserError('BAD_URL', "That doesn't look like a link.");
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UserError('BAD_URL', 'Only http(s) links are accepted.');
  return u;
}
