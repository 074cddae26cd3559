/**
 * A loopback mock of a model API for the real TUIs (docs/AGENT-CLIS.md, "Pointing a real CLI at a
 * loopback mock"): Anthropic Messages (`POST /v1/messages`, SSE) for claude, OpenAI Responses
 * (`POST /v1/responses`, SSE) for codex. It replies deterministically from the conversation it is
 * sent: a user text holding `[[bash <command>]]` gets one shell tool call (claude's `Bash`, codex's
 * shell tool), a tool result gets `done`, anything else `ok`. It keeps every request, so a test can
 * count what the model was given.
 */
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type MockApi = 'anthropic' | 'openai';

export interface MockRequest {
  at: number;
  method: string;
  url: string;
  body: Record<string, unknown> | null;
  /** A request of the agent's conversation (it offers tools), not a side request (titles, quota). */
  conversation: boolean;
  /** The user texts of the conversation so far (tool results left out), in order. */
  userTexts: string[];
  /** What the mock answered: `text:<t>` or `tool:<command>`. */
  replied: string;
}

export interface ModelMock {
  url: string;
  requests: MockRequest[];
  /** The user texts of the newest conversation request: the whole conversation as the model last saw it. */
  lastConversation(): string[];
  close(): Promise<void>;
}

const BASH = /\[\[bash ([^\]]+)\]\]/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** What the last turn asks of the model: a text from the user, or a tool's result. */
type Turn = { kind: 'user'; text: string } | { kind: 'tool-result'; text: string } | { kind: 'none' };

function anthropicTexts(body: Json): { texts: string[]; last: Turn } {
  const texts: string[] = [];
  let last: Turn = { kind: 'none' };
  for (const m of arr(body.messages).map(obj)) {
    if (m === null || m.role !== 'user') continue;
    const content = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : arr(m.content);
    const mine: string[] = [];
    let result: string | null = null;
    for (const b of content.map(obj)) {
      if (b?.type === 'text' && typeof b.text === 'string') mine.push(b.text);
      if (b?.type === 'tool_result') result = JSON.stringify(b.content ?? '');
    }
    texts.push(...mine);
    last = result !== null ? { kind: 'tool-result', text: result } : { kind: 'user', text: mine.join('\n') };
  }
  return { texts, last };
}

function openaiTexts(body: Json): { texts: string[]; last: Turn } {
  const texts: string[] = [];
  let last: Turn = { kind: 'none' };
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input);
  for (const item of input.map(obj)) {
    if (item === null) continue;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      last = { kind: 'tool-result', text: JSON.stringify(item.output ?? '') };
      continue;
    }
    if (item.role !== 'user') continue;
    const content =
      typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : arr(item.content);
    const mine = content
      .map(obj)
      .flatMap((c) => (c?.type === 'input_text' && typeof c.text === 'string' ? [c.text] : []));
    texts.push(...mine);
    last = { kind: 'user', text: mine.join('\n') };
  }
  return { texts, last };
}

function sse(res: ServerResponse, events: [string, Json][]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

let serial = 0;

function anthropicReply(
  res: ServerResponse,
  body: Json,
  reply: { text: string } | { command: string },
): void {
  const id = `msg_mock_${++serial}`;
  const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5';
  const usage = {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  const block =
    'text' in reply
      ? {
          start: { type: 'text', text: '' },
          delta: { type: 'text_delta', text: reply.text },
        }
      : {
          start: { type: 'tool_use', id: `toolu_mock_${serial}`, name: 'Bash', input: {} },
          delta: {
            type: 'input_json_delta',
            partial_json: JSON.stringify({ command: reply.command, description: 'Run the command' }),
          },
        };
  const stop = 'text' in reply ? 'end_turn' : 'tool_use';
  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const content =
      'text' in reply
        ? [{ type: 'text', text: reply.text }]
        : [{ ...block.start, input: { command: reply.command, description: 'Run the command' } }];
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stop,
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  sse(res, [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      },
    ],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: block.start }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: block.delta }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 5 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ]);
}

/**
 * The shell tool codex offered, and its arguments (name and shape vary by model family). The call
 * asks to run outside the sandbox, as a model does for a command that needs it, so that codex's
 * default approval policy for a trusted folder (`on-request`) asks for approval.
 */
function codexToolCall(body: Json, command: string): { type: string; name: string; args: Json } | null {
  const tools = arr(body.tools).map(obj);
  const names = tools.map((t) => (typeof t?.name === 'string' ? t.name : ''));
  const escalate = { sandbox_permissions: 'require_escalated', justification: 'the test needs an approval' };
  if (names.includes('shell'))
    return { type: 'function_call', name: 'shell', args: { command: ['bash', '-lc', command], ...escalate } };
  if (names.includes('exec_command'))
    return { type: 'function_call', name: 'exec_command', args: { cmd: command, ...escalate } };
  if (names.includes('shell_command'))
    return { type: 'function_call', name: 'shell_command', args: { command, ...escalate } };
  return null;
}

function openaiReply(res: ServerResponse, body: Json, reply: { text: string } | { command: string }): void {
  const id = `resp_mock_${++serial}`;
  let item: Json;
  if ('text' in reply) {
    item = {
      type: 'message',
      role: 'assistant',
      id: `msg_mock_${serial}`,
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    };
  } else {
    const call = codexToolCall(body, reply.command);
    item =
      call === null
        ? {
            type: 'message',
            role: 'assistant',
            id: `msg_mock_${serial}`,
            content: [{ type: 'output_text', text: 'no shell tool was offered', annotations: [] }],
          }
        : {
            type: call.type,
            id: `fc_mock_${serial}`,
            call_id: `call_mock_${serial}`,
            name: call.name,
            arguments: JSON.stringify(call.args),
          };
  }
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  sse(res, [
    ['response.created', { type: 'response.created', response: { id } }],
    ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item }],
    ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }],
    ['response.completed', { type: 'response.completed', response: { id, usage } }],
  ]);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
    });
    req.on('end', () => resolve(text));
  });
}

/** Starts the mock on 127.0.0.1 (a free port); `logFile` gets one JSON line per request. */
export async function startModelMock(api: MockApi, logFile?: string): Promise<ModelMock> {
  const requests: MockRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    let body: Json | null = null;
    try {
      body = obj(JSON.parse(raw));
    } catch {
      body = null;
    }
    const path = (req.url ?? '').split('?')[0]!;
    const isModel =
      req.method === 'POST' &&
      body !== null &&
      (api === 'anthropic' ? path === '/v1/messages' : path === '/v1/responses');
    const record: MockRequest = {
      at: Date.now(),
      method: req.method ?? '',
      url: req.url ?? '',
      body,
      conversation: false,
      userTexts: [],
      replied: 'status:404',
    };
    requests.push(record);
    const log = () => {
      if (logFile) appendFileSync(logFile, `${JSON.stringify(record)}\n`);
    };
    if (!isModel || body === null) {
      // Anything else (a quota or profile call): not found, as an unknown route would be.
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'mock: no such route' } }),
      );
      log();
      return;
    }
    const { texts, last } = api === 'anthropic' ? anthropicTexts(body) : openaiTexts(body);
    record.conversation = arr(body.tools).length > 0;
    record.userTexts = texts;
    const bash = last.kind === 'user' && record.conversation ? BASH.exec(last.text) : null;
    const reply: { text: string } | { command: string } = bash
      ? { command: bash[1]!.trim() }
      : { text: last.kind === 'tool-result' ? 'done' : 'ok' };
    record.replied = 'text' in reply ? `text:${reply.text}` : `tool:${reply.command}`;
    log();
    if (api === 'anthropic') anthropicReply(res, body, reply);
    else openaiReply(res, body, reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    lastConversation: () => requests.filter((r) => r.conversation).at(-1)?.userTexts ?? [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
