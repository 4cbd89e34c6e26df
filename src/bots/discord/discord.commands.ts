// Command definitions -> Discord application command JSON (a slash command, its subcommands, and a message
// context menu). An adminOnly command is shown to members with Manage Server only, and only in servers.
import { ApplicationCommandOptionType, ApplicationCommandType, InteractionContextType, PermissionFlagsBits } from 'discord.js';
import type { APIApplicationCommandBasicOption, RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import type { OptionDefinition } from '../../../commands/command.types.js';
import type { CommandRegistry } from '../../../commands/registry.js';

const option = (o: OptionDefinition): APIApplicationCommandBasicOption =>
  o.type === 'attachment'
    ? { type: ApplicationCommandOptionType.Attachment, name: o.name, description: o.description, required: !!o.required }
    : {
        type: ApplicationCommandOptionType.String,
        name: o.name,
        description: o.description,
        required: !!o.required,
        ...(o.choices ? { choices: o.choices.map((c) => ({ name: c, value: c })) } : {}),
      };

export function toDiscordCommands(registry: CommandRegistry): RESTPostAPIApplicationCommandsJSONBody[] {
  return registry.all().flatMap(({ definition: d }) => {
    // Discord hides an admin command (and its message menu) from everyone else; the bot still checks the
    // permission on each use. The bit set goes as the integer Discord's OpenAPI description asks for
    // (discord.js types it as a string; the API reads both)
    const admin = d.adminOnly ? { default_member_permissions: Number(PermissionFlagsBits.ManageGuild) as unknown as string, contexts: [InteractionContextType.Guild] } : {};
    const slash: RESTPostAPIApplicationCommandsJSONBody = {
      type: ApplicationCommandType.ChatInput,
      name: d.name,
      description: d.description,
      options: d.subcommands
        ? d.subcommands.map((s) => ({ type: ApplicationCommandOptionType.Subcommand, name: s.name, description: s.description, options: s.options.map(option) }))
        : d.options.map(option),
      ...admin,
    };
    const menu: RESTPostAPIApplicationCommandsJSONBody[] = d.messageAction
      ? [{ type: ApplicationCommandType.Message, name: d.messageAction.name, ...admin }]
      : [];
    return [slash, ...menu];
  });
}
