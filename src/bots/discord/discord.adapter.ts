// discord.js glue: gateway events -> CommandInput, ReplyUI -> messages. Every handler acknowledges first
// (deferReply / a reply message), then hands over to the command; nothing heavy runs here.
import { Client, Events, GatewayIntentBits, MessageFlags, PermissionFlagsBits } from 'discord.js';
import type { Attachment, ButtonInteraction, ChatInputCommandInteraction, Interaction, Message, MessageContextMenuCommandInteraction, StringSelectMenuInteraction } from 'discord.js';
import type { CommandRegistry } from '../../../commands/registry.js';
import type { CommandInput, InputFile, LibraryCommand } from '../../../commands/command.types.js';
import { isAudioFile } from '../../../commands/visualize.command.js';
import type { Aspect } from '../../core/visualize.types.js';
import { BEAT_FIXES, type BeatFix } from '../../core/grid-correction.js';
import type { LibraryJobData, ReplyTarget, VisualizeJobData } from '../../jobs/jobs.types.js';
import type { Logger } from '../../log.js';
import type { LibraryLifecycle } from '../library.lifecycle.js';
import type { ReplyUI, RequestLifecycle } from '../lifecycle.js';
import { LIBRARY_MESSAGES, MESSAGES, parseBeatChoice, statusText } from '../render.js';
import type { BeatChoice } from '../render.js';
import { BEATS_PREFIX, CANCEL_PREFIX, InteractionUI, LIBRARY_CANCEL_PREFIX, MessageUI, parseRequesterId, RecoveredUI, RETAKE_PREFIX } from './discord.ui.js';

export interface DiscordBotOptions {
  token: string;
  core: RequestLifecycle;
  /** /library (unset: the bot answers that library admin is not enabled here) */
  library?: LibraryLifecycle;
  registry: CommandRegistry;
  log: Logger;
  /** channel ids where posted audio is visualized */
  visualizeChannels: Set<string>;
  /** REST API base, e.g. a local fake in tests (default https://discord.com/api) */
  apiUrl?: string;
}

/** A channel is a visualize channel when configured, or when its admins put [clipmatch] in its topic. */
export const TOPIC_MARK = '[clipmatch]';

const fileOf = (a: Attachment): InputFile => ({
  url: a.url,
  name: a.name,
  bytes: a.size,
  ...(a.contentType ? { contentType: a.contentType } : {}),
});

export class DiscordBot {
  readonly client: Client;

  constructor(private readonly o: DiscordBotOptions) {
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
      ...(o.apiUrl ? { rest: { api: o.apiUrl } } : {}),
    });
    this.client.on(Events.InteractionCreate, (i) => void this.onInteraction(i));
    this.client.on(Events.MessageCreate, (m) => void this.onMessage(m));
    this.client.on(Events.Error, (err) => o.log.warn({ err: err.message }, 'discord client error'));
    o.core.onRecover('discord', (data) => this.recover(data));
    o.library?.onRecover('discord', (data) => this.recoverLibrary(data));
  }

  async start(): Promise<void> {
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    await this.client.login(this.o.token);
    await ready;
    this.o.log.info({ user: this.client.user?.tag }, 'discord connected');
  }

  async stop(): Promise<void> {
    await this.client.destroy();
  }

  /** A reply target for a job whose interaction this process no longer holds. */
  recover(data: VisualizeJobData): ReplyUI {
    return new RecoveredUI(this.client, data.reply, data.userId, data.uploadLimitBytes);
  }

  /** A library job's reply after a restart (a job queued from the command line has none). */
  recoverLibrary(data: LibraryJobData): RecoveredUI | undefined {
    return data.requester ? new RecoveredUI(this.client, data.requester.reply, data.requester.userId) : undefined;
  }

  private async onInteraction(i: Interaction): Promise<void> {
    try {
      if (i.isChatInputCommand()) await this.onCommand(i);
      else if (i.isMessageContextMenuCommand()) await this.onMessageAction(i);
      else if (i.isButton() && i.customId.startsWith(CANCEL_PREFIX)) await this.onCancel(i);
      else if (i.isButton() && i.customId.startsWith(LIBRARY_CANCEL_PREFIX)) await this.onLibraryCancel(i);
      else if (i.isButton() && i.customId.startsWith(RETAKE_PREFIX)) await this.onRetake(i);
      else if (i.isStringSelectMenu() && i.customId.startsWith(BEATS_PREFIX)) await this.onBeats(i);
    } catch (err) {
      this.o.log.error({ interaction: i.id, err: (err as Error).message }, 'interaction failed');
    }
  }

  private async onCommand(i: ChatInputCommandInteraction): Promise<void> {
    const cmd = this.o.registry.get(i.commandName);
    if (!cmd) return;
    const target = await deferTarget(i);
    if (cmd.kind === 'library') return this.onLibrary(i, cmd, target);
    const audio = i.options.getAttachment('audio');
    const url = i.options.getString('url');
    const aspect = i.options.getString('aspect') as Aspect | null;
    const beats = i.options.getString('beats');
    const input: CommandInput = {
      ...this.input(i, audio ? [fileOf(audio)] : [], url ?? undefined, aspect ?? undefined),
      // only the registered choices: a forged value is dropped, not passed on
      ...(beats && (BEAT_FIXES as readonly string[]).includes(beats) ? { beats: beats as BeatFix } : {}),
    };
    const ui = new InteractionUI(i, target);
    // an interaction has one reply: one request (the command's first)
    const [req] = cmd.execute(input);
    if (req) await this.o.core.submit(req, ui);
  }

  /**
   * /library: the permission comes from the interaction itself (the member's permissions in this channel, as
   * Discord computed them), checked here although the command is registered for Manage Server only: an
   * admin can grant the command to others in the server's integration settings.
   */
  private async onLibrary(i: ChatInputCommandInteraction, cmd: LibraryCommand, target: ReplyTarget): Promise<void> {
    const ui = new InteractionUI(i, target, { cancelPrefix: LIBRARY_CANCEL_PREFIX });
    if (!this.o.library) {
      await ui.error(LIBRARY_MESSAGES.notEnabled);
      return;
    }
    let sub: string, video: Attachment | null, url: string | null, ref: string | null;
    try {
      sub = i.options.getSubcommand(false) ?? '';
      video = sub === 'add' ? i.options.getAttachment('video') : null;
      url = sub === 'add' ? i.options.getString('url') : null;
      ref = sub === 'remove' ? i.options.getString('video') : null;
    } catch {
      // options of another shape than registered (an old registration, a forged payload)
      await ui.error(LIBRARY_MESSAGES.unknownOp);
      return;
    }
    const input: CommandInput = {
      ...this.input(i, video ? [fileOf(video)] : [], url ?? undefined, undefined),
      subcommand: sub,
      ...(ref ? { strings: { video: ref } } : {}),
      permitted: isManager(i),
    };
    const [req] = cmd.execute(input);
    if (req) await this.o.library.submit(req, ui);
  }

  private async onMessageAction(i: MessageContextMenuCommandInteraction): Promise<void> {
    const cmd = this.o.registry.action(i.commandName);
    if (!cmd) return;
    const target = await deferTarget(i);
    const files = [...i.targetMessage.attachments.values()].map(fileOf);
    if (cmd.kind === 'library') {
      // "Apps -> Add to clip library": the message's video, as /library add with that attachment
      const ui = new InteractionUI(i, target, { cancelPrefix: LIBRARY_CANCEL_PREFIX });
      if (!this.o.library) return ui.error(LIBRARY_MESSAGES.notEnabled);
      const [req] = cmd.execute({ ...this.input(i, files, undefined, undefined), subcommand: 'add', permitted: isManager(i) });
      if (req) await this.o.library.submit(req, ui);
      return;
    }
    const input = this.input(i, files, undefined, undefined);
    // one reply, one request: the first audio file of the message
    const [req] = cmd.execute(input);
    if (req) await this.o.core.submit(req, new InteractionUI(i, { channelId: i.channelId }));
  }

  private async onCancel(i: ButtonInteraction): Promise<void> {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const text = await this.o.core.cancel(i.customId.slice(CANCEL_PREFIX.length), i.user.id);
    await i.editReply({ content: text });
  }

  /** A /library request's Cancel: only its admin; the same lifecycle rules as /visualize's (job-lifecycle.ts cancel). */
  private async onLibraryCancel(i: ButtonInteraction): Promise<void> {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const jobId = i.customId.slice(LIBRARY_CANCEL_PREFIX.length);
    const text = this.o.library ? await this.o.library.cancel(jobId, i.user.id) : LIBRARY_MESSAGES.notEnabled;
    await i.editReply({ content: text });
  }

  private onRetake(i: ButtonInteraction): Promise<void> {
    return this.retake(i, RETAKE_PREFIX, MESSAGES.retakeNotYours);
  }

  /** "Fix the beat": a new take of the song with the chosen correction of the grid. */
  private async onBeats(i: StringSelectMenuInteraction): Promise<void> {
    const choice = parseBeatChoice(i.values[0]);
    if (choice) await this.retake(i, BEATS_PREFIX, MESSAGES.beatsNotYours, choice);
  }

  /** A new take of a delivered job from a component under its result: others are told at once (ephemeral);
   * the requester gets a new reply that follows the new job. */
  private async retake(i: ButtonInteraction | StringSelectMenuInteraction, prefix: string, notYours: string, beats?: BeatChoice): Promise<void> {
    const ref = parseRequesterId(prefix, i.customId);
    if (!ref) return;
    if (ref.userId !== i.user.id) {
      await i.reply({ content: notYours, flags: MessageFlags.Ephemeral });
      return;
    }
    const ui = new InteractionUI(i, await deferTarget(i));
    await this.o.core.retake(ref.jobId, i.user.id, i.id, ui, undefined, beats);
  }

  private async onMessage(m: Message): Promise<void> {
    if (m.author.bot || !m.inGuild() || m.attachments.size === 0) return;
    const topic = 'topic' in m.channel ? (m.channel.topic ?? '') : '';
    if (!this.o.visualizeChannels.has(m.channelId) && !topic.includes(TOPIC_MARK)) return;
    const files = [...m.attachments.values()].map(fileOf).filter(isAudioFile);
    const cmd = this.o.registry.action('visualize_message') ?? this.o.registry.get('visualize');
    if (files.length === 0 || !cmd || cmd.kind === 'library') return;
    try {
      // the gateway can replay a message after a resume: claim it before posting anything
      const fresh = await this.o.core.claim('discord', m.id).catch(() => 'down' as const);
      if (fresh === false) return;
      const input: CommandInput = {
        platform: 'discord',
        requestId: m.id,
        userId: m.author.id,
        serverId: m.guildId,
        channelId: m.channelId,
        files,
        claimed: true,
      };
      // one reply and one job per audio file
      for (const req of cmd.execute(input)) {
        const reply = await m.reply({ content: statusText({ stage: 'queued' }), allowedMentions: { repliedUser: false } });
        if (fresh === 'down') {
          await reply.edit({ content: MESSAGES.queueDown });
          return;
        }
        await this.o.core.submit(req, new MessageUI(reply));
      }
    } catch (err) {
      this.o.log.error({ message: m.id, err: (err as Error).message }, 'channel message failed');
    }
  }

  private input(i: Interaction, files: InputFile[], url?: string, aspect?: Aspect): CommandInput {
    return {
      platform: 'discord',
      requestId: i.id,
      userId: i.user.id,
      serverId: i.guildId ?? 'dm',
      channelId: i.channelId ?? 'dm',
      files,
      ...(url ? { url } : {}),
      ...(aspect ? { aspect } : {}),
    };
  }
}

/** Manage Server in this channel, as Discord computed it for the interaction (servers only). */
function isManager(i: ChatInputCommandInteraction | MessageContextMenuCommandInteraction): boolean {
  return i.inGuild() && (i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false);
}

/** Defers the interaction's reply (Discord wants an answer within 3 s) and says where that reply is. */
async function deferTarget(i: ChatInputCommandInteraction | MessageContextMenuCommandInteraction | ButtonInteraction | StringSelectMenuInteraction): Promise<ReplyTarget> {
  const res = await i.deferReply({ withResponse: true });
  return { channelId: i.channelId, ...(res.resource?.message ? { messageId: res.resource.message.id } : {}) };
}
