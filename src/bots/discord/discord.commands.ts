// Command definitions -> Discord application command JSON (a slash command and a message context menu).
import { ApplicationCommandOptionType, ApplicationCommandType } from 'discord.js';
import type { RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import type { CommandRegistry } from '../../../commands/registry.js';

export function toDiscordCommands(registry: CommandRegistry): RESTPostAPIApplicationCommandsJSONBody[] {
  return registry.all().flatMap(({ definition: d }) => {
    const slash: RESTPostAPIApplicationCommandsJSONBody = {
      type: ApplicationCommandType.ChatInput,
      name: d.name,
      description: d.description,
      options: d.options.map((o) =>
        o.type === 'attachment'
          ? { type: ApplicationCommandOptionType.Attachment, name: o.name, description: o.description, required: !!o.required }
          : {
              type: ApplicationCommandOptionType.String,
              name: o.name,
              description: o.description,
              required: !!o.required,
              ...(o.choices ? { choices: o.choices.map((c) => ({ name: c, value: c })) } : {}),
            },
      ),
    };
    const menu: RESTPostAPIApplicationCommandsJSONBody[] = d.messageAction
      ? [{ type: ApplicationCommandType.Message, name: d.messageAction.name }]
      : [];
    return [slash, ...menu];
  });
}
