// Discord replies for one request: an interaction's deferred reply, a reply to a channel message, or,
// after a bot restart, a fresh message in the channel. Status edits carry a Cancel button (one id prefix per
// queue: a /visualize request's and a /library request's go to their own lifecycle).
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder, GuildPremiumTier, StringSelectMenuBuilder } from 'discord.js';
import type { Client, Guild, Message, MessageEditOptions, RepliableInteraction, SendableChannels } from 'discord.js';
import type { LibraryUI, ReplyUI, ResultView } from '../core.js';
import { beatChoices, BEATS_PLACEHOLDER, MB, resultLines, statusText } from '../render.js';
import type { LibraryAnswerView, StatusView } from '../render.js';
import type { ReplyTarget } from '../../jobs/jobs.types.js';

export const CANCEL_PREFIX = 'clipmatch-cancel:';
/** the Cancel button of a /library request (not a prefix of CANCEL_PREFIX, nor it of this) */
export const LIBRARY_CANCEL_PREFIX = 'clipmatch-library-cancel:';
/** `clipmatch-retake:<jobId>:<requester id>`: the requester is in the id so others are answered at once */
export const RETAKE_PREFIX = 'clipmatch-retake:';

/** The job and requester of a `<prefix><jobId>:<requester id>` component id (Another take's, Fix the beat's). */
export function parseRequesterId(prefix: string, customId: string): { jobId: string; userId: string } | undefined {
  if (!customId.startsWith(prefix)) return undefined;
  const m = /^([\w.-]+):(\d+)$/.exec(customId.slice(prefix.length));
  return m ? { jobId: m[1] as string, userId: m[2] as string } : undefined;
}

const retakeRow = (jobId: string, userId: string) =>
  new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`${RETAKE_PREFIX}${jobId}:${userId}`).setLabel('Another take').setStyle(ButtonStyle.Secondary),
  );

/** `clipmatch-beats:<jobId>:<requester id>`: the "fix the beat" menu under a result, its value the correction */
export const BEATS_PREFIX = 'clipmatch-beats:';

const beatsRow = (view: ResultView, userId: string) =>
  new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
    new StringSelectMenuBuilder()
      .setCustomId(`${BEATS_PREFIX}${view.jobId}:${userId}`)
      .setPlaceholder(BEATS_PLACEHOLDER)
      .addOptions(beatChoices(view.beats)),
  );

/** Upload limit of a guild without an interaction to report it (Discord's documented tiers). */
export function guildUploadLimit(guild: Guild | null): number {
  switch (guild?.premiumTier) {
    case GuildPremiumTier.Tier2:
      return 50 * MB;
    case GuildPremiumTier.Tier3:
      return 100 * MB;
    case GuildPremiumTier.None:
    case GuildPremiumTier.Tier1:
    case undefined:
      return 10 * MB;
  }
}

const cancelRow = (prefix: string, jobId: string) =>
  new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(prefix + jobId).setLabel('Cancel').setStyle(ButtonStyle.Secondary),
  );

/** A status edit with the Cancel button whose id starts with `cancelPrefix`. */
export function statusMessage(view: StatusView, jobId: string, cancelPrefix = CANCEL_PREFIX): MessageEditOptions {
  return { content: statusText(view), components: [cancelRow(cancelPrefix, jobId)] };
}

/** A library request's answer: one embed, no buttons. */
export function libraryMessage(view: LibraryAnswerView): MessageEditOptions {
  const embed = new EmbedBuilder().setTitle('clipmatch library').setDescription([view.title, ...view.lines].join('\n'));
  return { content: '', embeds: [embed], components: [] };
}

export function resultMessage(view: ResultView): MessageEditOptions {
  const lines = resultLines(view);
  const embed = new EmbedBuilder()
    .setTitle('clipmatch')
    .setDescription(lines.title)
    .addFields(
      { name: 'Closest clips', value: lines.closest.join('\n') || '-' },
      { name: 'Farthest clips', value: lines.farthest.join('\n') || '-' },
    )
    .setImage(`attachment://${view.sheet.name}`);
  const files = [new AttachmentBuilder(view.sheet.path, { name: view.sheet.name })];
  if (view.video) files.push(new AttachmentBuilder(view.video.path, { name: view.video.name }));
  const extra = view.videoLink ? `\nVideo: ${view.videoLink}` : view.videoNote ? `\n${view.videoNote}` : '';
  return { content: extra.trim(), embeds: [embed], files, components: view.requesterId ? [retakeRow(view.jobId, view.requesterId), ...(view.tempo !== 0 ? [beatsRow(view, view.requesterId)] : [])] : [] };
}

export const errorMessage = (message: string): MessageEditOptions => ({ content: message, embeds: [], components: [] });

abstract class DiscordUI implements ReplyUI, LibraryUI {
  abstract readonly target: ReplyTarget;
  abstract readonly uploadLimitBytes: number;
  /** the id prefix of the status edits' Cancel button: a /visualize request's or a /library request's */
  protected cancelPrefix = CANCEL_PREFIX;
  protected abstract edit(msg: MessageEditOptions): Promise<unknown>;
  async status(view: StatusView, jobId: string): Promise<void> {
    await this.edit(statusMessage(view, jobId, this.cancelPrefix));
  }
  async summary(view: LibraryAnswerView): Promise<void> {
    await this.edit(libraryMessage(view));
  }
  async result(view: ResultView): Promise<void> {
    await this.edit(resultMessage(view));
  }
  async error(message: string): Promise<void> {
    await this.edit(errorMessage(message));
  }
}

/** Interaction tokens last 15 minutes; past that the answer goes to the channel as a new message. */
const TOKEN_LIFETIME_MS = 14 * 60_000;

/** A slash command or context menu: the deferred reply is edited through the interaction webhook. */
export class InteractionUI extends DiscordUI {
  readonly uploadLimitBytes: number;
  private readonly fallback: RecoveredUI;
  constructor(
    private readonly interaction: RepliableInteraction,
    readonly target: ReplyTarget,
    opts: { cancelPrefix?: string } = {},
  ) {
    super();
    this.cancelPrefix = opts.cancelPrefix ?? CANCEL_PREFIX;
    this.uploadLimitBytes = interaction.attachmentSizeLimit || guildUploadLimit(interaction.guild);
    this.fallback = new RecoveredUI(interaction.client, target, interaction.user.id, this.uploadLimitBytes);
  }
  private expired(): boolean {
    return Date.now() - this.interaction.createdTimestamp > TOKEN_LIFETIME_MS;
  }
  override async status(view: StatusView, jobId: string): Promise<void> {
    if (!this.expired()) await super.status(view, jobId);
  }
  protected edit(msg: MessageEditOptions): Promise<unknown> {
    return this.expired() ? this.fallback.send(msg) : this.interaction.editReply(msg);
  }
}

/** Audio posted in a visualize channel: the bot's reply message is edited. */
export class MessageUI extends DiscordUI {
  readonly uploadLimitBytes: number;
  readonly target: ReplyTarget;
  constructor(private readonly reply: Message) {
    super();
    this.uploadLimitBytes = guildUploadLimit(reply.guild);
    this.target = { channelId: reply.channelId, messageId: reply.id };
  }
  protected edit(msg: MessageEditOptions): Promise<unknown> {
    return this.reply.edit(msg);
  }
}

/** After a restart the interaction is gone: answer with a new message that mentions the requester. */
export class RecoveredUI extends DiscordUI {
  readonly uploadLimitBytes: number;
  constructor(
    private readonly client: Client,
    readonly target: ReplyTarget,
    private readonly userId: string,
    /** the limit the job was rendered for; Discord's default (10 MiB) when unknown */
    uploadLimitBytes?: number,
  ) {
    super();
    this.uploadLimitBytes = uploadLimitBytes ?? 10 * MB;
  }
  override async status(): Promise<void> {
    // no live reply to edit; the final answer is what matters
  }
  protected edit(msg: MessageEditOptions): Promise<unknown> {
    return this.send(msg);
  }
  async send(msg: MessageEditOptions): Promise<unknown> {
    const channel = await this.client.channels.fetch(this.target.channelId);
    if (!channel?.isSendable()) throw new Error(`channel ${this.target.channelId} is not sendable`);
    const { content, embeds, files, components } = msg;
    return (channel as SendableChannels).send({
      content: `<@${this.userId}> ${content ?? ''}`.trim(),
      ...(embeds ? { embeds } : {}),
      ...(files ? { files } : {}),
      ...(components?.length ? { components } : {}),
    });
  }
}
