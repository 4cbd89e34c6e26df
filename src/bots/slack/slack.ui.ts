// Slack replies for one request: a status message (chat.postMessage, then chat.update with a Cancel
// button: one action id per queue, /visualize's or /library's), and the result as text plus files through
// files.uploadV2 in the same place.
import type { types, webApi } from '@slack/bolt';
import type { LibraryUI, ReplyUI, ResultView } from '../core.js';
import { beatChoices, BEATS_PLACEHOLDER, resultLines, statusText } from '../render.js';
import type { LibraryAnswerView, StatusView } from '../render.js';
import type { ReplyTarget } from '../../jobs/jobs.types.js';

export const CANCEL_ACTION = 'clipmatch_cancel';
/** the Cancel button of a /library request */
export const LIBRARY_CANCEL_ACTION = 'clipmatch_library_cancel';
export const RETAKE_ACTION = 'clipmatch_retake';
/** the "fix the beat" menu under a result; each option's value is `<choice>|<jobId>` */
export const BEATS_ACTION = 'clipmatch_beats';

export function parseBeatsValue(value: string | undefined): { choice: string; jobId: string } | undefined {
  const m = /^([\w-]+)\|([\w.-]+)$/.exec(value ?? '');
  return m ? { choice: m[1] as string, jobId: m[2] as string } : undefined;
}

/** A status message's blocks, with the Cancel button of action id `cancelAction`. */
export function statusBlocks(view: StatusView, jobId: string, cancelAction = CANCEL_ACTION): types.KnownBlock[] {
  const text: types.KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: statusText(view) } };
  return [
    text,
    {
      type: 'actions',
      elements: [{ type: 'button', action_id: cancelAction, text: { type: 'plain_text', text: 'Cancel' }, value: jobId }],
    },
  ];
}

export function resultText(view: ResultView): string {
  const l = resultLines(view);
  const video = view.videoLink ? `\n*Video:* ${view.videoLink}` : view.videoNote ? `\n${view.videoNote}` : '';
  return `${l.title}\n*Closest clips*\n${l.closest.join('\n')}\n*Farthest clips*\n${l.farthest.join('\n')}${video}`;
}

/** A library request's answer as Slack text. */
export const libraryText = (view: LibraryAnswerView): string => [`*${view.title}*`, ...view.lines].join('\n');

export class SlackUI implements ReplyUI, LibraryUI {
  constructor(
    private readonly client: webApi.WebClient,
    readonly target: ReplyTarget & { messageId: string },
    readonly uploadLimitBytes: number,
    /** the action id of the status edits' Cancel button: /visualize's or /library's */
    private readonly cancelAction = CANCEL_ACTION,
  ) {}

  /** Posts the status message that later edits change, and returns the UI bound to it. */
  static async open(client: webApi.WebClient, channel: string, threadTs: string | undefined, limit: number, cancelAction = CANCEL_ACTION): Promise<SlackUI> {
    const res = await client.chat.postMessage({ channel, text: statusText({ stage: 'queued' }), ...(threadTs ? { thread_ts: threadTs } : {}) });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    return new SlackUI(client, { channelId: channel, messageId: res.ts, ...(threadTs ? { threadId: threadTs } : {}) }, limit, cancelAction);
  }

  async status(view: StatusView, jobId: string): Promise<void> {
    await this.client.chat.update({
      channel: this.target.channelId,
      ts: this.target.messageId,
      text: statusText(view),
      blocks: statusBlocks(view, jobId, this.cancelAction),
    });
  }

  async summary(view: LibraryAnswerView): Promise<void> {
    const text = libraryText(view);
    await this.client.chat.update({ channel: this.target.channelId, ts: this.target.messageId, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }

  async result(view: ResultView): Promise<void> {
    const text = resultText(view);
    const files = [{ file: view.sheet.path, filename: view.sheet.name, title: 'Closest and farthest clips' }];
    if (view.video) files.push({ file: view.video.path, filename: view.video.name, title: 'Music video' });
    await this.client.filesUploadV2({
      channel_id: this.target.channelId,
      ...(this.target.threadId ? { thread_ts: this.target.threadId } : {}),
      initial_comment: text,
      file_uploads: files,
    });
    const done = 'Done: your video is below.';
    const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: done } }];
    if (view.requesterId) {
      const retake: types.Button = { type: 'button', action_id: RETAKE_ACTION, text: { type: 'plain_text', text: 'Another take' }, value: view.jobId };
      const beats: types.StaticSelect = {
        type: 'static_select',
        action_id: BEATS_ACTION,
        placeholder: { type: 'plain_text', text: BEATS_PLACEHOLDER },
        options: beatChoices(view.beats).map((c) => ({ text: { type: 'plain_text', text: c.label }, description: { type: 'plain_text', text: c.description }, value: `${c.value}|${view.jobId}` })),
      };
      blocks.push({ type: 'actions', elements: view.tempo !== 0 ? [retake, beats] : [retake] });
    }
    await this.client.chat.update({ channel: this.target.channelId, ts: this.target.messageId, text: done, blocks });
  }

  async error(message: string): Promise<void> {
    await this.client.chat.update({ channel: this.target.channelId, ts: this.target.messageId, text: message, blocks: [] });
  }
}
