// Loads commands as data and refuses a malformed one at start, before anything is registered with a
// platform. Adapters look commands up by name or message-action id: no if/else over command names.
import { z } from 'zod';
import type { Command } from './command.types.js';
import { libraryCommand } from './library.command.js';
import { visualizeCommand } from './visualize.command.js';

const name = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - and _, at most 32');
const options = z
  .array(
    z.object({
      name,
      description: z.string().min(1).max(100),
      type: z.enum(['attachment', 'string']),
      required: z.boolean().optional(),
      choices: z.array(z.string().min(1).max(100)).max(25).optional(),
    }),
  )
  .max(25);
const commandSchema = z.object({
  kind: z.enum(['visualize', 'library']).optional(),
  definition: z
    .object({
      name,
      description: z.string().min(1).max(100),
      options,
      subcommands: z.array(z.object({ name, description: z.string().min(1).max(100), options })).min(1).max(25).optional(),
      adminOnly: z.boolean().optional(),
      messageAction: z.object({ name: z.string().min(1).max(32), callbackId: z.string().regex(/^[\w-]{1,255}$/) }).optional(),
    })
    .refine((d) => !(d.subcommands && d.options.length), { message: 'a command has options or subcommands, not both', path: ['subcommands'] }),
  execute: z.custom<Command['execute']>((v) => typeof v === 'function', 'execute must be a function'),
});

export class CommandRegistry {
  private readonly byName = new Map<string, Command>();
  private readonly byAction = new Map<string, Command>();

  constructor(commands: unknown[]) {
    commands.forEach((c, i) => {
      const res = commandSchema.safeParse(c);
      if (!res.success) {
        const problems = res.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
        throw new Error(`command #${i} is malformed: ${problems}`);
      }
      const cmd = c as Command;
      const { name: n, messageAction } = cmd.definition;
      if (this.byName.has(n)) throw new Error(`command "${n}" is defined twice`);
      this.byName.set(n, cmd);
      if (messageAction) {
        if (this.byAction.has(messageAction.callbackId)) throw new Error(`message action "${messageAction.callbackId}" is defined twice`);
        this.byAction.set(messageAction.callbackId, cmd);
        this.byAction.set(messageAction.name, cmd);
      }
    });
  }

  get(commandName: string): Command | undefined {
    return this.byName.get(commandName);
  }

  /** by Discord context-menu name or Slack shortcut callback id */
  action(nameOrCallbackId: string): Command | undefined {
    return this.byAction.get(nameOrCallbackId);
  }

  all(): Command[] {
    return [...this.byName.values()];
  }
}

/** Every command of the bot. */
export const loadCommands = (): CommandRegistry => new CommandRegistry([visualizeCommand, libraryCommand]);
