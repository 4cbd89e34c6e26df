// `npm run commands:deploy`: registers the Discord commands once (not on every bot start). With
// DISCORD_GUILD_ID they go to that server only (instant, for testing); without it, globally.
// `--dry-run` prints the JSON instead. Slack commands are declared in slack/manifest.json.
import { REST, Routes } from 'discord.js';
import { loadCommands } from '../commands/registry.js';
import { ConfigError, env } from '../src/config.js';
import { toDiscordCommands } from '../src/bots/discord/discord.commands.js';

async function main(): Promise<void> {
  const body = toDiscordCommands(loadCommands());
  if (process.argv.includes('--dry-run')) {
    console.log(JSON.stringify(body, null, 2));
    return;
  }
  const e = env();
  const missing = [!e.DISCORD_TOKEN && 'DISCORD_TOKEN', !e.DISCORD_APP_ID && 'DISCORD_APP_ID'].filter(Boolean) as string[];
  if (missing.length) throw new ConfigError(missing.map((k) => `${k}: required to register Discord commands`));
  const rest = new REST().setToken(e.DISCORD_TOKEN as string);
  const appId = e.DISCORD_APP_ID as string;
  const route = e.DISCORD_GUILD_ID ? Routes.applicationGuildCommands(appId, e.DISCORD_GUILD_ID) : Routes.applicationCommands(appId);
  const res = (await rest.put(route, { body })) as { name: string }[];
  console.log(`registered ${res.length} Discord command(s) ${e.DISCORD_GUILD_ID ? `in server ${e.DISCORD_GUILD_ID}` : 'globally (may take up to an hour to appear)'}: ${res.map((c) => c.name).join(', ')}`);
  console.log('Slack: create or update the app from slack/manifest.json (docs/bot.md).');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
