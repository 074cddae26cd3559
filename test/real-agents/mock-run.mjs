// Runs one real agent CLI against a mock of its model API, both inside the network namespace this
// process was started in (record.ts starts it under `unshare -rn` with only loopback up), so the
// CLI can reach nothing but the mock. Node builtins only.
//
//   node mock-run.mjs '<json>'   json: {reply: {status, headers, body}, bin, args, env, cwd, stdin,
//                                        files: {<path>: <text>}}
//
// `{{url}}` in env values and file texts becomes the mock's `http://127.0.0.1:<port>`. Prints one
// JSON object: {url, code, signal, stdout, stderr, requests: [{method, url}]}.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const spec = JSON.parse(process.argv[2]);
const requests = [];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests.push({ method: req.method, url: req.url });
    const reply = spec.reply ?? { status: 500, headers: {}, body: { error: 'no request was expected' } };
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;
const withUrl = (s) => String(s).split('{{url}}').join(url);

for (const [file, text] of Object.entries(spec.files ?? {})) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, withUrl(text));
}
const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, withUrl(v)]));
const child = spawn(spec.bin, spec.args, {
  cwd: spec.cwd,
  env,
  stdio: ['pipe', 'pipe', 'pipe'],
  detached: true,
});
let stdout = '';
let stderr = '';
child.stdout.setEncoding('utf8').on('data', (d) => {
  stdout += d;
});
child.stderr.setEncoding('utf8').on('data', (d) => {
  stderr += d;
});
child.stdin.on('error', () => {});
child.stdin.end(spec.stdin ?? '');
const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), spec.timeoutMs ?? 120_000);
child.on('close', (code, signal) => {
  clearTimeout(timer);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  server.closeAllConnections();
  server.close();
  process.stdout.write(`${JSON.stringify({ url, code, signal, stdout, stderr, requests })}\n`);
});
