// A local stand-in for the Slack Web API on loopback (the methods the bot calls, including the three
// steps of files.uploadV2 and a private file host), plus a signer that posts requests to Bolt's receiver
// the way Slack does (v0 HMAC-SHA256 signature over timestamp and raw body).
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { slackProblems } from './spec-validator.js';

export const BOT_TOKEN = 'xoxb-test-token';
export const SIGNING_SECRET = 'test-signing-secret';
export const TEAM_ID = 'T0001';
export const APP_TOKEN = 'xapp-1-test-app-token';

export interface SlackCall {
  method: string;
  args: Record<string, string>;
  authorization?: string;
  bytes?: number;
}

export interface FakeSlack {
  apiUrl: string;
  origin: string;
  calls: SlackCall[];
  /** calls whose arguments did not match Slack's API description; close() fails when any */
  violations: string[];
  waitFor(pred: (c: SlackCall) => boolean, from?: number): Promise<SlackCall>;
  /** bytes served at origin/files/<name> to the bot token only, and at origin/public/<name> to anyone */
  files: Map<string, Buffer>;
  /** Socket Mode: resolves when the app has connected (after apps.connections.open) */
  socketReady: Promise<void>;
  /** sends an envelope over the Socket Mode connection; resolves with the app's acknowledgement */
  sendEnvelope(type: string, payload: unknown): Promise<{ envelope_id: string; payload?: unknown }>;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const violations: string[] = [];
  const files = new Map<string, Buffer>();
  const waiters: { pred: (c: SlackCall) => boolean; from: number; resolve: (c: SlackCall) => void }[] = [];
  let ts = 1700000000;
  let port = 0;
  const record = (c: SlackCall) => {
    calls.push(c);
    for (const w of [...waiters]) {
      if (calls.length - 1 >= w.from && w.pred(c)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(c);
      }
    }
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const auth = req.headers.authorization;
      if (req.method === 'GET' && path.startsWith('/public/')) {
        // an ordinary web server, for links typed by users
        const data = files.get(decodeURIComponent(path.slice('/public/'.length)));
        record({ method: 'GET public', args: { path } });
        if (!data) return json(404, { ok: false });
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': data.length });
        return res.end(data);
      }
      if (req.method === 'GET' && path.startsWith('/files/')) {
        const data = files.get(decodeURIComponent(path.slice('/files/'.length)));
        record({ method: 'GET file', args: { path }, ...(auth ? { authorization: auth } : {}) });
        if (auth !== `Bearer ${BOT_TOKEN}` || !data) return json(404, { ok: false });
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': data.length });
        return res.end(data);
      }
      if (path.startsWith('/upload/')) {
        record({ method: 'upload', args: { file_id: path.slice('/upload/'.length) }, bytes: body.length });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`OK - ${body.length}`);
      }
      const method = path.replace(/^\/api\//, '');
      const type = req.headers['content-type'] ?? '';
      const args: Record<string, string> = type.includes('json')
        ? Object.fromEntries(Object.entries(JSON.parse(body.toString() || '{}') as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
        : Object.fromEntries(new URLSearchParams(body.toString()));
      record({ method, args, ...(auth ? { authorization: auth } : {}) });
      if (method === 'apps.connections.open') {
        if (auth !== `Bearer ${APP_TOKEN}`) return json(200, { ok: false, error: 'invalid_auth' });
        return json(200, { ok: true, url: `ws://127.0.0.1:${port}/socket` });
      }
      if (auth !== `Bearer ${BOT_TOKEN}`) return json(200, { ok: false, error: 'invalid_auth' });
      const problems = slackProblems(method, args);
      if (problems.length) {
        violations.push(...problems);
        console.error('FAKE SLACK: call does not match the API description\n  ' + problems.join('\n  '));
        return json(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } });
      }
      switch (method) {
        case 'auth.test':
          return json(200, { ok: true, url: 'https://fake.slack.com/', team: 'Music', user: 'clipmatch', team_id: TEAM_ID, user_id: 'UBOT', bot_id: 'BBOT' });
        case 'chat.postMessage':
          return json(200, { ok: true, channel: args.channel, ts: `${ts++}.000100`, message: { text: args.text } });
        case 'chat.update':
          return json(200, { ok: true, channel: args.channel, ts: args.ts, text: args.text });
        case 'chat.postEphemeral':
          return json(200, { ok: true, message_ts: `${ts++}.000200` });
        case 'files.getUploadURLExternal': {
          const id = `F${ts++}`;
          return json(200, { ok: true, upload_url: `http://127.0.0.1:${port}/upload/${id}`, file_id: id });
        }
        case 'files.completeUploadExternal':
          return json(200, { ok: true, files: (JSON.parse(args.files ?? '[]') as { id: string }[]).map((f) => ({ id: f.id })) });
        default:
          return json(200, { ok: false, error: 'unknown_method' });
      }
    })();
  });
  // Socket Mode: one app connection; hello on connect, envelopes out, acknowledgements back
  const wss = new WebSocketServer({ server, path: '/socket' });
  let socket: WebSocket | undefined;
  let socketResolve!: () => void;
  const socketReady = new Promise<void>((r) => (socketResolve = r));
  const acks = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  let envelope = 0;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { envelope_id?: string; payload?: unknown };
      if (msg.envelope_id) acks.get(msg.envelope_id)?.({ envelope_id: msg.envelope_id, ...(msg.payload ? { payload: msg.payload } : {}) });
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A1' } }));
    socketResolve();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  return {
    socketReady,
    sendEnvelope(type, payload) {
      const id = `env-${++envelope}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode connection'));
        acks.set(id, resolve);
        socket.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
      });
    },
    apiUrl: `http://127.0.0.1:${port}/api/`,
    origin: `http://127.0.0.1:${port}`,
    calls,
    violations,
    files,
    waitFor(pred, from = 0) {
      const found = calls.find((c, i) => i >= from && pred(c));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, from, resolve }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        wss.clients.forEach((c) => c.terminate());
        wss.close();
        server.closeAllConnections();
        server.close(() => (violations.length ? reject(new Error(`calls that do not match Slack's API description:\n${violations.join('\n')}`)) : resolve()));
      }),
  };
}

/** Posts a body to Bolt's receiver signed as Slack signs it. */
export async function postSigned(url: string, body: string, contentType: string, secret = SIGNING_SECRET): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
    body,
  });
}

export const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

/** The form body of a click on a button (`actionId`, `value`) of the bot's message `messageTs` in `channel`. */
/** A choice in a static select menu of a message: `value` picked in the menu `actionId`. */
export function menuAction(o: { user: string; trigger: string; channel: string; messageTs?: string; threadTs?: string; actionId: string; value: string; label: string; responseUrl: string }): string {
  return form({ payload: JSON.stringify({
    type: 'block_actions', team: { id: TEAM_ID }, user: { id: o.user }, api_app_id: 'A1', token: 'legacy', trigger_id: o.trigger,
    channel: { id: o.channel }, container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel },
    message: { type: 'message', ts: o.messageTs, ...(o.threadTs ? { thread_ts: o.threadTs } : {}) }, response_url: o.responseUrl,
    actions: [{ type: 'static_select', action_id: o.actionId, block_id: 'b', action_ts: '1700000031.1', selected_option: { text: { type: 'plain_text', text: o.label }, value: o.value } }],
  }) });
}

export function blockAction(o: { user: string; trigger: string; channel: string; messageTs?: string; threadTs?: string; text?: string; actionId: string; value?: string; label: string; responseUrl: string }): string {
  return form({ payload: JSON.stringify({
    type: 'block_actions', team: { id: TEAM_ID }, user: { id: o.user }, api_app_id: 'A1', token: 'legacy', trigger_id: o.trigger,
    channel: { id: o.channel }, container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel },
    message: { type: 'message', ts: o.messageTs, ...(o.threadTs ? { thread_ts: o.threadTs } : {}), text: o.text }, response_url: o.responseUrl,
    actions: [{ type: 'button', action_id: o.actionId, block_id: 'b', value: o.value, action_ts: '1700000030.1', text: { type: 'plain_text', text: o.label } }],
  }) });
}
