// Request bodies checked against the platforms' own API descriptions (../shared/specs, see its README):
// Discord's OpenAPI 3.1 (JSON Schema 2020-12) through ajv, Slack's Swagger 2.0 form parameters (names,
// required ones, scalar types). The fakes call these on every request and fail the test on a mismatch.
// Slack's file is from 2021 and lacks the two-step upload behind files.uploadV2; those two methods are
// described below from Slack's documentation (docs.slack.dev, files.getUploadURLExternal and
// files.completeUploadExternal), as is apps.connections.open of Socket Mode.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

const SPECS = [join(process.cwd(), 'shared/specs'), join(process.cwd(), '../shared/specs'), '/work/shared/specs'].find((d) => existsSync(join(d, 'discord-openapi.json')));
const specPath = (name: string): string => {
  if (!SPECS) throw new Error('platform specs not found (shared/specs, ../shared/specs or /work/shared/specs)');
  return join(SPECS, name);
};

// ---- Discord ----

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}
interface Route {
  method: string;
  re: RegExp;
  pointer: string;
  hasBody: boolean;
}

let discord: { ajv: Ajv2020; routes: Route[]; compiled: Map<string, ValidateFunction> } | undefined;

function loadDiscord() {
  if (discord) return discord;
  const spec = JSON.parse(readFileSync(specPath('discord-openapi.json'), 'utf8')) as { paths: Record<string, Record<string, OpenApiOperation>> };
  // OpenAPI keywords (discriminator, x-*) are not JSON Schema: not strict; formats (snowflake, int64) are not checked
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(spec, 'discord');
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    const re = new RegExp('^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$');
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters') continue;
      const json = op.requestBody?.content?.['application/json'];
      const ptr = ['paths', path, method, 'requestBody', 'content', 'application/json', 'schema'].map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
      routes.push({ method: method.toUpperCase(), re, pointer: `discord#/${ptr}`, hasBody: !!json });
    }
  }
  // literal segments (@original) before parameters
  routes.sort((a, b) => b.re.source.replace(/\[\^\/\]\+/g, '').length - a.re.source.replace(/\[\^\/\]\+/g, '').length);
  discord = { ajv, routes, compiled: new Map() };
  return discord;
}

/** Problems of a Discord request body (for multipart, its payload_json part); [] when it matches. */
export function discordProblems(method: string, path: string, body: unknown): string[] {
  const d = loadDiscord();
  const route = d.routes.find((r) => r.method === method && r.re.test(path));
  if (!route) return [`${method} ${path}: no such operation in Discord's API description`];
  if (!route.hasBody) return body === undefined ? [] : [`${method} ${path}: takes no body`];
  if (body === undefined) return [];
  let validate = d.compiled.get(route.pointer);
  if (!validate) {
    validate = d.ajv.compile({ $ref: route.pointer });
    d.compiled.set(route.pointer, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).slice(0, 8).map((e) => `${method} ${path}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

// ---- Slack ----

interface SwaggerParam {
  name: string;
  in: string;
  type?: string;
  required?: boolean;
}
type SlackParams = Map<string, { type: string; required: boolean }>;
let slack: Map<string, SlackParams> | undefined;

const DOCUMENTED: Record<string, SwaggerParam[]> = {
  // Socket Mode's handshake (docs.slack.dev apps.connections.open): the app-level token, no arguments
  'apps.connections.open': [],
  'files.getUploadURLExternal': [
    { name: 'filename', in: 'formData', type: 'string', required: true },
    { name: 'length', in: 'formData', type: 'integer', required: true },
    { name: 'alt_txt', in: 'formData', type: 'string' },
    { name: 'snippet_type', in: 'formData', type: 'string' },
  ],
  'files.completeUploadExternal': [
    { name: 'files', in: 'formData', type: 'json-array', required: true },
    { name: 'channel_id', in: 'formData', type: 'string' },
    { name: 'channels', in: 'formData', type: 'string' },
    { name: 'initial_comment', in: 'formData', type: 'string' },
    { name: 'thread_ts', in: 'formData', type: 'string' },
    { name: 'blocks', in: 'formData', type: 'json-array' },
  ],
};

function loadSlack(): Map<string, SlackParams> {
  if (slack) return slack;
  const spec = JSON.parse(readFileSync(specPath('slack-web-openapi-v2.json'), 'utf8')) as { paths: Record<string, Record<string, { parameters?: SwaggerParam[] }>> };
  slack = new Map();
  const add = (method: string, params: SwaggerParam[]) => {
    const m: SlackParams = new Map();
    for (const p of params) if (p.in === 'formData' || p.in === 'query') m.set(p.name, { type: p.type ?? 'string', required: !!p.required && p.name !== 'token' });
    slack!.set(method, m);
  };
  for (const [path, ops] of Object.entries(spec.paths)) {
    const op = ops.post ?? ops.get;
    if (op) add(path.replace(/^\//, ''), op.parameters ?? []);
  }
  for (const [method, params] of Object.entries(DOCUMENTED)) add(method, params);
  return slack;
}

/**
 * Arguments every method takes: the token, and team_id, which @slack/web-api adds to each call of a client
 * bound to a workspace (Slack's docs: required of org-wide apps, accepted from any).
 */
const COMMON = new Set(['token', 'team_id']);

const SCALAR: Record<string, RegExp> = {
  integer: /^-?\d+$/,
  number: /^-?\d+(\.\d+)?$/,
  boolean: /^(true|false|1|0)$/,
};

/** Problems of a Slack Web API call's arguments (form fields as strings); [] when they match. */
export function slackProblems(method: string, args: Record<string, string>): string[] {
  const params = loadSlack().get(method);
  if (!params) return [`${method}: no such method in Slack's API description`];
  const problems: string[] = [];
  for (const [name, p] of params) if (p.required && args[name] === undefined) problems.push(`${method}: missing required ${name}`);
  for (const [name, value] of Object.entries(args)) {
    const p = params.get(name);
    if (!p) {
      if (!COMMON.has(name)) problems.push(`${method}: unknown argument ${name}`);
      continue;
    }
    if (p.type === 'json-array') {
      try {
        if (!Array.isArray(JSON.parse(value))) problems.push(`${method}: ${name} must be a JSON array`);
      } catch {
        problems.push(`${method}: ${name} must be JSON`);
      }
    } else if (SCALAR[p.type] && !SCALAR[p.type]!.test(value)) {
      problems.push(`${method}: ${name} must be ${p.type}, got ${JSON.stringify(value).slice(0, 40)}`);
    }
  }
  if (args.blocks !== undefined && method.startsWith('chat.')) {
    try {
      if (!Array.isArray(JSON.parse(args.blocks))) problems.push(`${method}: blocks must be a JSON array`);
    } catch {
      problems.push(`${method}: blocks must be JSON`);
    }
  }
  return problems;
}
