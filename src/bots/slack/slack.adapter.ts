// Bolt glue: the /visualize and /library commands, the "Visualize" and "Add to clip library" message
// shortcuts, audio shared in watched channels and the buttons -> CommandInput; SlackUI renders. HTTP mode
// verifies request signatures (Bolt's HTTPReceiver with the signing secret); Socket Mode is used when an
// app-level token is configured.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { webApi } from '@slack/bolt';
import type { CommandRegistry } from '../../../commands/registry.js';
import type { CommandInput, InputFile, LibraryCommand, VisualizeCommand } from '../../../commands/command.types.js';
import { isAudioFile } from '../../../commands/visualize.command.js';
import type { Aspect } from '../../core/visualize.types.js';
import type { BeatFix } from '../../core/grid-correction.js';
import { UserError } from '../../core/errors.js';
import type { LibraryJobData, VisualizeJobData } from '../../jobs/jobs.types.js';
import type { Logger } from '../../log.js';
import type { LibraryLifecycle } from '../library.lifecycle.js';
import type { IntakeRequest, ReplyUI, RequestLifecycle } from '../lifecycle.js';
import { LIBRARY_MESSAGES, MESSAGES, parseBeatChoice } from '../render.js';
import type { BeatChoice } from '../render.js';
import { BEATS_ACTION, CANCEL_ACTION, LIBRARY_CANCEL_ACTION, parseBeatsValue, RETAKE_ACTION, SlackUI } from './slack.ui.js';

/** What a button's or menu's payload says of where it was clicked (Bolt's block_actions body). */
interface ActionBody {
  channel?: { id: string } | null;
  trigger_id?: string;
  user: { id: string };
  message?: unknown;
}

export interface SlackBotOptions {
  botToken: string;
  signingSecret?: string;
  /** app-level token: Socket Mode instead of the HTTP receiver */
  appToken?: string;
  port: number;
  core: RequestLifecycle;
  /** /library (unset: the bot answers that library admin is not enabled here) */
  library?: LibraryLifecycle;
  /** Slack user ids allowed to run /library (SLACK_LIBRARY_ADMINS) */
  libraryAdmins?: Set<string>;
  registry: CommandRegistry;
  log: Logger;
  watchChannels: Set<string>;
  uploadLimitBytes: number;
  maxAudioBytes: number;
  /** the largest video file the bot reads for /library's message shortcut (SLACK_LIBRARY_UPLOAD_MB) */
  maxVideoBytes: number;
  /** Web API base, e.g. a local fake in tests (default https://slack.com/api/) */
  apiUrl?: string;
  /** retries of a failed Web API call (default: @slack/web-api's, about ten over half an hour) */
  apiRetries?: number;
}

interface SlackFile {
  id?: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private_download?: string;
  url_private?: string;
}

const ASPECT = /(?:^|\s)(16:9|9:16|1:1)(?:\s|$)/;
/** `/visualize <link> beats=half`: a correction of the beat grid (grid-correction.ts BEAT_FIXES) */
const BEATS = /(?:^|\s)beats=(half-offbeat|half|double|offbeat)(?:\s|$)/;

/** Largest request body the receiver reads (Slack's own payloads are a few kB). */
const BODY_LIMIT = 1024 * 1024;

export class SlackBot {
  readonly app: App;
  private readonly receiver?: HTTPReceiver;
  private readonly socket?: SocketModeReceiver;
  private server?: Server;

  constructor(private readonly o: SlackBotOptions) {
    const clientOptions = {
      ...(o.apiUrl ? { slackApiUrl: o.apiUrl } : {}),
      ...(o.apiRetries !== undefined ? { retryConfig: { retries: o.apiRetries } } : {}),
    };
    if (o.appToken) {
      // our own receiver, so stop() can wait for the socket to close (Bolt's stop does not) and no
      // reconnect starts after it; installerOptions.clientOptions reach apps.connections.open too
      this.socket = new SocketModeReceiver({ appToken: o.appToken, logLevel: LogLevel.WARN, installerOptions: { clientOptions } });
      this.app = new App({ token: o.botToken, receiver: this.socket, clientOptions, logLevel: LogLevel.WARN });
    } else {
      this.receiver = new HTTPReceiver({ signingSecret: o.signingSecret ?? '', logLevel: LogLevel.WARN, bodyLimit: BODY_LIMIT });
      this.app = new App({ token: o.botToken, receiver: this.receiver, clientOptions, logLevel: LogLevel.WARN });
    }
    this.register();
    o.core.onRecover('slack', (data) => this.recover(data));
    o.library?.onRecover('slack', (data) => this.recoverLibrary(data));
  }

  async start(): Promise<void> {
    if (this.receiver) {
      // our own server in front of Bolt's request listener: it answers what Bolt would choke on
      const receiver = this.receiver;
      const server = createServer((req, res) => {
        screen(req, res, (r, w) => receiver.requestListener(r, w)).catch((err: unknown) => {
          this.o.log.warn({ err: (err as Error).message }, 'slack request failed');
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        });
      });
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.o.port, () => resolve());
      });
      this.server = server;
    } else {
      await this.socket?.start();
    }
    this.o.log.info({ mode: this.o.appToken ? 'socket' : `http :${this.o.port}` }, 'slack connected');
  }

  async stop(): Promise<void> {
    if (this.server) {
      const server = this.server;
      this.server = undefined;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    } else if (this.socket) {
      await this.socket.client.disconnect();
    }
  }

  /** After a restart: a fresh status message in the same place stands in for the lost one. */
  recover(data: VisualizeJobData): ReplyUI {
    const target = { ...data.reply, messageId: data.reply.messageId ?? '' };
    return new SlackUI(this.app.client, target, this.o.uploadLimitBytes);
  }

  /** A library job's reply after a restart (a job queued from the command line has none). */
  recoverLibrary(data: LibraryJobData): SlackUI | undefined {
    if (!data.requester) return undefined;
    const r = data.requester.reply;
    return new SlackUI(this.app.client, { ...r, messageId: r.messageId ?? '' }, this.o.uploadLimitBytes, LIBRARY_CANCEL_ACTION);
  }

  private register(): void {
    for (const cmd of this.o.registry.all()) {
      this.app.command(`/${cmd.definition.name}`, async ({ command, ack, client }) => {
        await ack();
        const text = command.text ?? '';
        if (cmd.kind === 'library') {
          // the admins are this bot's setting; Slack itself has no per-command permission
          const permitted = this.o.libraryAdmins?.has(command.user_id) ?? false;
          await this.runLibrary(cmd, client, command.channel_id, undefined, {
            platform: 'slack',
            requestId: command.trigger_id,
            userId: command.user_id,
            serverId: command.team_id,
            channelId: command.channel_id,
            files: [],
            text,
            permitted,
          });
          return;
        }
        const aspect = ASPECT.exec(text)?.[1] as Aspect | undefined;
        const beats = BEATS.exec(text)?.[1] as BeatFix | undefined;
        const url = text.replace(ASPECT, ' ').replace(BEATS, ' ').trim().split(/\s+/)[0] || undefined;
        await this.run(cmd, client, command.channel_id, undefined, {
          platform: 'slack',
          requestId: command.trigger_id,
          userId: command.user_id,
          serverId: command.team_id,
          channelId: command.channel_id,
          files: [],
          ...(url ? { url } : {}),
          ...(aspect ? { aspect } : {}),
          ...(beats ? { beats } : {}),
        });
      });
      const action = cmd.definition.messageAction;
      if (!action) continue;
      this.app.shortcut({ callback_id: action.callbackId, type: 'message_action' }, async ({ shortcut, ack, client }) => {
        await ack();
        if (shortcut.type !== 'message_action') return;
        const thread = shortcut.message.thread_ts ?? shortcut.message.ts;
        const input: CommandInput = {
          platform: 'slack',
          requestId: shortcut.trigger_id,
          userId: shortcut.user.id,
          serverId: shortcut.team?.id ?? 'dm',
          channelId: shortcut.channel.id,
          files: ((shortcut.message.files ?? []) as SlackFile[]).map(toInputFile),
        };
        // "Add to clip library" on a message: the video posted in it, as `/library add` with that file
        if (cmd.kind === 'library') {
          await this.runLibrary(cmd, client, shortcut.channel.id, thread, { ...input, text: 'add', permitted: this.o.libraryAdmins?.has(shortcut.user.id) ?? false });
        } else await this.run(cmd, client, shortcut.channel.id, thread, input);
      });
    }

    this.app.event('message', async ({ event, client, body }) => {
      if (event.subtype !== 'file_share' || !this.o.watchChannels.has(event.channel)) return;
      const files = ((event.files ?? []) as SlackFile[]).map(toInputFile).filter(isAudioFile);
      const cmd = this.o.registry.action('visualize_message');
      if (!files.length || !cmd || cmd.kind === 'library' || !event.user) return;
      await this.run(cmd, client, event.channel, event.thread_ts ?? event.ts, {
        platform: 'slack',
        requestId: `${event.channel}-${event.ts}`,
        userId: event.user,
        serverId: body.team_id ?? 'dm',
        channelId: event.channel,
        files,
      });
    });

    this.app.action(CANCEL_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      if (action.type !== 'button' || !('channel' in body) || !body.channel) return;
      const text = await this.o.core.cancel(action.value ?? '', body.user.id);
      await client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
    });

    this.app.action(LIBRARY_CANCEL_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      if (action.type !== 'button' || !('channel' in body) || !body.channel) return;
      const text = this.o.library ? await this.o.library.cancel(action.value ?? '', body.user.id) : LIBRARY_MESSAGES.notEnabled;
      await client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
    });

    this.app.action(RETAKE_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      if (action.type !== 'button' || !('channel' in body) || !body.channel || !('trigger_id' in body)) return;
      await this.retake(client, body, action.value ?? '', MESSAGES.retakeNotYours);
    });

    // "Fix the beat": the same song again with the chosen correction of its beat grid
    this.app.action(BEATS_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      if (action.type !== 'static_select' || !('channel' in body) || !body.channel || !('trigger_id' in body)) return;
      const picked = parseBeatsValue(action.selected_option?.value);
      const choice = parseBeatChoice(picked?.choice);
      if (!picked || !choice) return;
      await this.retake(client, body, picked.jobId, MESSAGES.beatsNotYours, choice);
    });

    this.app.error(async (err) => {
      this.o.log.error({ err: err.message }, 'slack handler failed');
    });
  }

  /**
   * Claims the event, then per request of the command (one per audio file) posts the status message (the
   * visible acknowledgement) and submits it. Private files are downloaded by the lifecycle, after the limits.
   */
  private async run(cmd: VisualizeCommand, client: webApi.WebClient, channel: string, threadTs: string | undefined, input: CommandInput): Promise<void> {
    const fresh = await this.claim(channel, input, (p, id) => this.o.core.claim(p, id));
    if (fresh === false) return;
    for (const req of cmd.execute(input)) {
      const ui = await this.open(client, channel, threadTs, input.userId, CANCEL_ACTION);
      if (!ui) return;
      if (fresh === 'down') {
        await ui.error(MESSAGES.queueDown);
        return;
      }
      const intake: IntakeRequest = {
        ...req,
        // Slack files need the bot token to read, which workers do not hold: the bot stores the bytes
        download: (source) => downloadSlackFile(source.url, this.o.botToken, this.o.maxAudioBytes, this.allowedOrigins()),
      };
      await this.o.core.submit(intake, ui);
    }
  }

  /** A new take of a delivered job from a button or menu under its result: its requester only, in its thread. */
  private async retake(client: webApi.WebClient, body: ActionBody, jobId: string, notYours: string, beats?: BeatChoice): Promise<void> {
    const channel = body.channel?.id;
    const trigger = body.trigger_id ?? '';
    if (!channel || !/^[\w.-]+$/.test(trigger)) return;
    const thread = (body.message as { thread_ts?: string } | undefined)?.thread_ts ?? undefined;
    if ((await this.o.core.requesterOf(jobId)) !== body.user.id) {
      await client.chat.postEphemeral({ channel, user: body.user.id, text: notYours });
      return;
    }
    const ui = await SlackUI.open(client, channel, thread, this.o.uploadLimitBytes);
    const download = (source: { url: string }) => downloadSlackFile(source.url, this.o.botToken, this.o.maxAudioBytes, this.allowedOrigins());
    await this.o.core.retake(jobId, body.user.id, trigger, ui, download, beats);
  }

  /**
   * /library: claimed on the library queue, one status message (its Cancel button is /library's), one request. The
   * permission travels with the request; the lifecycle refuses a non-admin before anything is queued.
   */
  private async runLibrary(cmd: LibraryCommand, client: webApi.WebClient, channel: string, thread: string | undefined, input: CommandInput): Promise<void> {
    const library = this.o.library;
    const fresh = library ? await this.claim(channel, input, (p, id) => library.claim(p, id)) : true;
    if (fresh === false) return;
    const ui = await this.open(client, channel, thread, input.userId, LIBRARY_CANCEL_ACTION);
    if (!ui) return;
    if (!library) return ui.error(LIBRARY_MESSAGES.notEnabled);
    if (fresh === 'down') return ui.error(LIBRARY_MESSAGES.queueDown);
    const [req] = cmd.execute(input);
    if (!req) return;
    // a Slack file needs the bot token: the bot reads it and the worker gets the bytes
    await library.submit({ ...req, download: (source) => downloadSlackFile(source.url, this.o.botToken, this.o.maxVideoBytes, this.allowedOrigins()) }, ui);
  }

  /** Checks the payload has the ids Slack always sends and claims it: false for a redelivery, 'down' when Redis is. */
  private async claim(channel: string, input: CommandInput, claim: (platform: 'slack', requestId: string) => Promise<boolean>): Promise<boolean | 'down'> {
    // a payload without the ids Slack always sends is not from Slack: nothing to answer, nowhere to answer it
    if (!channel || !input.userId || !/^[\w.-]+$/.test(input.requestId ?? '')) {
      this.o.log.warn({ channel, requestId: input.requestId }, 'slack payload without channel, user or a valid id; ignored');
      return false;
    }
    let fresh: boolean | 'down';
    try {
      fresh = await claim('slack', input.requestId);
    } catch {
      fresh = 'down';
    }
    // false: Slack redelivered an event we already answer
    if (fresh !== false) input.claimed = true;
    return fresh;
  }

  /** Posts the status message (the visible acknowledgement); tells the user privately when the bot cannot post. */
  private async open(client: webApi.WebClient, channel: string, threadTs: string | undefined, userId: string, cancelAction: string): Promise<SlackUI | undefined> {
    try {
      return await SlackUI.open(client, channel, threadTs, this.o.uploadLimitBytes, cancelAction);
    } catch (err) {
      this.o.log.warn({ channel, err: (err as Error).message }, 'cannot post in channel');
      await client.chat
        .postEphemeral({ channel, user: userId, text: 'I cannot post in this channel; invite me first (/invite @clipmatch).' })
        .catch(() => undefined);
      return undefined;
    }
  }

  private allowedOrigins(): string[] {
    return ['https://files.slack.com', ...(this.o.apiUrl ? [new URL(this.o.apiUrl).origin] : [])];
  }
}

const toInputFile = (f: SlackFile): InputFile => ({
  url: f.url_private_download ?? f.url_private ?? '',
  name: f.name ?? 'audio',
  ...(f.size !== undefined ? { bytes: f.size } : {}),
  ...(f.mimetype ? { contentType: f.mimetype } : {}),
});

/** Reads a Slack-hosted file with the bot token, refusing other hosts and stopping past the size cap. */
export async function downloadSlackFile(url: string, token: string, maxBytes: number, origins: string[]): Promise<Buffer> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new UserError('BAD_INPUT', 'That file could not be read from Slack.');
  }
  if (!origins.includes(origin)) throw new UserError('BAD_INPUT', 'That file could not be read from Slack.');
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'error', signal: AbortSignal.timeout(60_000) });
  } catch {
    throw new UserError('UNREACHABLE', 'That file could not be read from Slack.');
  }
  if (!res.ok || !res.body) throw new UserError('UNREACHABLE', 'That file could not be read from Slack.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Uint8Array).length;
    if (size > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new UserError('TOO_LARGE', `That file is over the limit of ${(maxBytes / 2 ** 20).toFixed(1)} MB.`);
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/**
 * Reads the body (bounded) and hands the request to Bolt only when its body has the shape Bolt assumes: a
 * JSON object, or a form whose `payload` (if any) is a JSON object. Bolt reads the buffered body from
 * `rawBody`. Anything else gets 400 here: a signed `null` used to throw inside Bolt, unanswered.
 */
async function screen(req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_LIMIT) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    chunks.push(c as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (req.method === 'POST' && !bodyLooksRight(body.toString(), req.headers['content-type'] ?? '')) {
    res.writeHead(400).end();
    return;
  }
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
  next(req, res);
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function bodyLooksRight(text: string, contentType: string): boolean {
  try {
    if (contentType.startsWith('application/json')) return isObject(JSON.parse(text));
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null || isObject(JSON.parse(payload));
    }
  } catch {
    return false;
  }
  return false;
}
