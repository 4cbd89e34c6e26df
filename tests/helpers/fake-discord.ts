// A local stand-in for Discord on loopback: the REST routes the bot uses (GET /gateway/bot, interaction
// callbacks, webhook edits, channel messages) and a gateway WebSocket that says Hello, answers Identify
// with READY + GUILD_CREATE and dispatches whatever a test sends. Requests are recorded for assertions.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { discordProblems } from './spec-validator.js';

export const APP_ID = '100000000000000001';
export const BOT_ID = '100000000000000002';
export const GUILD_ID = '200000000000000001';
export const CHANNEL_ID = '300000000000000001';
export const MARKED_CHANNEL_ID = '300000000000000002';
export const USER = { id: '400000000000000001', username: 'listener', discriminator: '0', global_name: 'Listener', avatar: null };

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  json?: Record<string, unknown>;
  files: { field: string; name: string; type: string; bytes: number }[];
}

export interface FakeDiscord {
  apiUrl: string;
  requests: RecordedRequest[];
  /** request bodies that did not match Discord's API description; close() fails when any */
  violations: string[];
  /** resolves with the first recorded request (past or future) matching, in order after `from` */
  waitFor(pred: (r: RecordedRequest) => boolean, from?: number): Promise<RecordedRequest>;
  dispatch(t: string, d: unknown): void;
  ready: Promise<void>;
  close(): Promise<void>;
}

let nextId = 500000000000000000n;
const snowflake = () => String(nextId++);

export const messageObject = (channelId: string, id: string, body: Record<string, unknown> = {}) => ({
  id,
  channel_id: channelId,
  author: { id: BOT_ID, username: 'clipmatch', discriminator: '0', bot: true, avatar: null, global_name: null },
  content: typeof body.content === 'string' ? body.content : '',
  timestamp: new Date().toISOString(),
  edited_timestamp: null,
  tts: false,
  mention_everyone: false,
  mentions: [],
  mention_roles: [],
  attachments: [],
  embeds: [],
  components: [],
  pinned: false,
  type: 0,
  flags: 0,
});

/** A click on a button of the bot's message `shown` (its JSON as the bot sent it; none: an empty message): the
 * command interaction `base` of the same channel made a component interaction (type 3) by `user`. */
export function buttonClick(base: Record<string, unknown>, o: { id: string; token: string; customId: string; user: typeof USER; permissions: string; shown?: Record<string, unknown> }) {
  return {
    ...base, id: o.id, token: o.token, type: 3,
    member: { user: o.user, roles: [], permissions: o.permissions, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
    message: { content: '', components: [], ...o.shown, id: snowflake(), channel_id: CHANNEL_ID, author: { id: BOT_ID, username: 'clipmatch', discriminator: '0', avatar: null, global_name: null }, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 20, flags: 0 },
    data: { custom_id: o.customId, component_type: 2 },
  };
}

/** A channel message as an interaction's `resolved.messages` holds it (a context menu's target). */
export function targetMessage(id: string, content: string, attachments: unknown[]) {
  return {
    id, channel_id: CHANNEL_ID, author: USER, content, timestamp: new Date().toISOString(), edited_timestamp: null,
    tts: false, mention_everyone: false, mentions: [], mention_roles: [], embeds: [], pinned: false, type: 0, flags: 0, components: [], attachments,
  };
}

/** A choice in a string select menu of a message (component type 3): `values` picked in the menu `customId`. */
export function menuChoice(base: Record<string, unknown>, o: Parameters<typeof buttonClick>[1] & { values: string[] }) {
  return { ...buttonClick(base, o), data: { custom_id: o.customId, component_type: 3, values: o.values } };
}

async function readBody(req: IncomingMessage): Promise<Pick<RecordedRequest, 'json' | 'files'>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(buf, { headers: { 'content-type': type } }).formData();
    const files: RecordedRequest['files'] = [];
    let json: Record<string, unknown> | undefined;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') json = JSON.parse(value) as Record<string, unknown>;
      } else {
        files.push({ field, name: value.name, type: value.type, bytes: value.size });
      }
    }
    return { files, ...(json ? { json } : {}) };
  }
  return { files: [], ...(buf.length && type.includes('json') ? { json: JSON.parse(buf.toString()) as Record<string, unknown> } : {}) };
}

export async function startFakeDiscord(): Promise<FakeDiscord> {
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const waiters: { pred: (r: RecordedRequest) => boolean; from: number; resolve: (r: RecordedRequest) => void }[] = [];
  const record = (r: RecordedRequest) => {
    requests.push(r);
    for (const w of [...waiters]) {
      if (requests.length - 1 >= w.from && w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  };
  let port = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = decodeURIComponent(url.pathname).replace(/^\/api\/v\d+/, '');
      const body = await readBody(req);
      const send = (status: number, payload?: unknown) => {
        // 204 No Content, as Discord sends it: no body, no content type
        res.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      // every body is checked against the operation's schema (multipart: its payload_json part)
      const problems = discordProblems(req.method ?? '', path, body.json);
      if (problems.length) {
        violations.push(...problems);
        console.error('FAKE DISCORD: request does not match the API description\n  ' + problems.join('\n  '));
        record({ method: req.method ?? '', path, query: url.searchParams, ...body });
        return send(400, { code: 50035, message: 'Invalid Form Body', errors: problems });
      }
      record({ method: req.method ?? '', path, query: url.searchParams, ...body });
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/gateway/bot') {
        return send(200, {
          url: `ws://127.0.0.1:${port}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        });
      }
      if ((m = /^\/interactions\/(\d+)\/[^/]+\/callback$/.exec(path))) {
        if (url.searchParams.get('with_response') !== 'true') return send(204);
        return send(200, {
          interaction: { id: m[1], type: 2, response_message_id: snowflake(), response_message_loading: true, response_message_ephemeral: false },
          resource: { type: (body.json as { type?: number } | undefined)?.type ?? 5 },
        });
      }
      if (/^\/webhooks\/\d+\/[^/]+\/messages\/(@original|\d+)$/.test(path)) {
        return send(200, messageObject(CHANNEL_ID, snowflake(), body.json));
      }
      if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && req.method === 'POST') {
        return send(200, messageObject(m[1] as string, snowflake(), body.json));
      }
      if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && req.method === 'PATCH') {
        return send(200, messageObject(m[1] as string, m[2] as string, body.json));
      }
      console.error('FAKE DISCORD 404', req.method, path);
      send(404, { message: 'Unknown route', code: 0 });
    })();
  });
  const wss = new WebSocketServer({ server });
  let socket: WebSocket | undefined;
  let seq = 0;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const dispatch = (t: string, d: unknown) => socket?.send(JSON.stringify({ op: 0, t, s: ++seq, d }));
  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 30_000 } }));
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { op: number };
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (msg.op !== 2) return;
      dispatch('READY', {
        v: 10,
        user: { id: BOT_ID, username: 'clipmatch', discriminator: '0', bot: true, avatar: null, global_name: null, flags: 0 },
        guilds: [{ id: GUILD_ID, unavailable: true }],
        session_id: 'fake-session',
        resume_gateway_url: `ws://127.0.0.1:${port}`,
        application: { id: APP_ID, flags: 0 },
        shard: [0, 1],
      });
      const channel = (id: string, name: string, topic: string | null) => ({
        id, type: 0, name, topic, guild_id: GUILD_ID, position: 0, permission_overwrites: [], nsfw: false, parent_id: null,
      });
      dispatch('GUILD_CREATE', {
        id: GUILD_ID, name: 'Music', icon: null, owner_id: USER.id, unavailable: false, member_count: 2,
        premium_tier: 0, roles: [], emojis: [], stickers: [], features: [], members: [], voice_states: [], presences: [],
        threads: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
        channels: [channel(CHANNEL_ID, 'general', null), channel(MARKED_CHANNEL_ID, 'visualize', 'Post songs here [clipmatch]')],
        joined_at: new Date().toISOString(), large: false,
      });
      readyResolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    requests,
    violations,
    ready,
    dispatch,
    waitFor(pred, from = 0) {
      const found = requests.find((r, i) => i >= from && pred(r));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, from, resolve }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        wss.clients.forEach((c) => c.terminate());
        wss.close();
        server.closeAllConnections();
        server.close(() => (violations.length ? reject(new Error(`requests that do not match Discord's API description:\n${violations.join('\n')}`)) : resolve()));
      }),
  };
}
