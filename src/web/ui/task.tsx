import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { ActionName, ActionRequest, ActionResult, JournalEntry, TaskRow } from '../protocol.js';
import { act, getJson, missionHref } from './api.js';
import { Header, NextAction, StateBadge, Uptime } from './common.js';
import { clock } from './format.js';
import { type Live, useLive } from './live.js';
import { Screen } from './screen.js';

/** The part of `holdfast status --json` (src/views/task.ts) the page shows. */
interface TaskView {
  name: string;
  state: string;
  reason: string | null;
  pid: number | null;
  cwd: string;
  command: string[];
  agent: string | null;
  sessionId: string | null;
  restart: string;
  runs: {
    n: number;
    cause: string;
    startedAt: string;
    endedAt: string | null;
    exitCode: number | null;
    signal: string | null;
    reason: string | null;
    pid: number | null;
  }[];
}

interface Checkpoint {
  id: string;
  commit: string;
  run: number | null;
  reason: string | null;
  at: string;
  files: number;
  insertions: number;
  deletions: number;
  message: string;
}

const enc = encodeURIComponent;

export function TaskPage({ live, name }: { live: Live; name: string }) {
  useLive(live);
  const row = live.tasks.get(name) ?? null;
  const [view, setView] = useState<TaskView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState<ActionName | null>(null);
  useEffect(() => {
    getJson<TaskView>(`/api/tasks/${enc(name)}`)
      .then((v) => {
        setView(v);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [name, row?.updatedAt, row?.state]);
  useLayoutEffect(() => {
    if (view && live.loaded && document.body.dataset.ready !== 'true') {
      performance.mark('holdfast:rows');
      document.body.dataset.ready = 'true';
    }
  }, [view, live.loaded]);

  const run = async (action: ActionName, body: ActionRequest = {}) => {
    if (action === 'rm' && !confirm(`Remove ${name}? Its logs and checkpoints' refs go too.`)) return;
    setBusy(action);
    try {
      setResult(await act(name, action, body));
    } finally {
      setBusy(null);
    }
  };
  const state = row?.state ?? view?.state ?? '…';
  return (
    <>
      <Header conn={live.conn} daemon={live.daemon} title={name} />
      <main class="task">
        {error ? <p class="error">{error}</p> : null}
        <section class="task-head">
          <h1>
            {name} <StateBadge state={state} testId="task-state" />
          </h1>
          {row ? <Facts row={row} live={live} view={view} /> : null}
          <Actions run={run} busy={busy} />
          {result ? (
            <p
              class={`result ${result.ok ? 'ok' : 'bad'}`}
              data-testid="action-result"
              data-ok={String(result.ok)}
            >
              <code>{result.command}</code>: {result.ok ? 'done' : result.error}
            </p>
          ) : null}
        </section>
        {row?.state === 'waiting-input' || row?.question ? <Question row={row} run={run} /> : null}
        {row?.agent ? <SendBox run={run} busy={busy} /> : null}
        <h2>Screen</h2>
        <Screen live={live} />
        <LogSection name={name} runs={view?.runs.map((r) => r.n) ?? []} stamp={row?.updatedAt ?? ''} />
        {row?.agent ? <Transcript name={name} stamp={row.updatedAt} /> : null}
        <h2>Runs</h2>
        <table data-testid="runs">
          <thead>
            <tr>
              <th>run</th>
              <th>cause</th>
              <th>started</th>
              <th>ended</th>
              <th>exit</th>
              <th>reason</th>
              <th>pid</th>
            </tr>
          </thead>
          <tbody>
            {(view?.runs ?? [])
              .slice()
              .reverse()
              .map((r) => (
                <tr key={r.n}>
                  <td class="num">{r.n}</td>
                  <td>{r.cause}</td>
                  <td>{clock(r.startedAt)}</td>
                  <td>{r.endedAt ? clock(r.endedAt) : 'running'}</td>
                  <td>{r.signal ?? r.exitCode ?? ''}</td>
                  <td class="dim">{r.reason ?? ''}</td>
                  <td class="num">{r.pid ?? ''}</td>
                </tr>
              ))}
          </tbody>
        </table>
        <Journal name={name} live={live} />
        <Checkpoints name={name} stamp={row?.updatedAt ?? ''} />
        <Recovery name={name} stamp={row?.state ?? ''} />
      </main>
    </>
  );
}

function Facts({ row, live, view }: { row: TaskRow; live: Live; view: TaskView | null }) {
  return (
    <dl class="facts">
      <dt>command</dt>
      <dd>
        <code>{row.agent ? `${row.agent}${row.model ? ` (${row.model})` : ''}` : row.command.join(' ')}</code>
      </dd>
      <dt>cwd</dt>
      <dd>
        <code>{row.cwd}</code>
      </dd>
      <dt>uptime</dt>
      <dd>
        <Uptime row={row} live={live} />
      </dd>
      <dt>restarts</dt>
      <dd>
        {row.restarts} <NextAction row={row} live={live} />
      </dd>
      {row.reason ? (
        <>
          <dt>reason</dt>
          <dd>{row.reason}</dd>
        </>
      ) : null}
      {view?.sessionId ? (
        <>
          <dt>session</dt>
          <dd>
            <code>{view.sessionId}</code>
          </dd>
        </>
      ) : null}
      {row.mission ? (
        <>
          <dt>mission</dt>
          <dd>
            <a href={missionHref(row.mission)}>{row.mission}</a>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

type Run = (action: ActionName, body?: ActionRequest) => Promise<void>;

function Actions({ run, busy }: { run: Run; busy: ActionName | null }) {
  const [prompt, setPrompt] = useState('');
  const button = (action: ActionName, label: string, body?: () => ActionRequest) => (
    <button
      type="button"
      data-testid={`action-${action}`}
      disabled={busy !== null}
      onClick={() => void run(action, body?.())}
    >
      {busy === action ? `${label}…` : label}
    </button>
  );
  return (
    <div class="actions">
      {button('stop', 'Stop')}
      {button('restart', 'Restart')}
      <span class="resume">
        {button('resume', 'Resume', () => ({ prompt }))}
        <input
          data-testid="resume-prompt"
          placeholder="prompt for the resumed session (optional)"
          value={prompt}
          onInput={(e) => setPrompt((e.target as HTMLInputElement).value)}
        />
      </span>
      {button('checkpoint', 'Checkpoint now')}
      {button('rm', 'Remove')}
    </div>
  );
}

function Question({ row, run }: { row: TaskRow; run: Run }) {
  const q = row.question;
  return (
    <section class="question" data-testid="question">
      <h2>Waiting for you</h2>
      {q ? (
        <>
          <p>
            {q.kind === 'trust' ? 'Trust this folder?' : `${row.agent ?? 'The agent'} asks to use `}
            {q.tool ? <code>{q.tool}</code> : null}
          </p>
          {q.input ? <pre class="log">{q.input}</pre> : null}
          <div class="choices">
            {q.options.map((label, i) => (
              <button
                type="button"
                key={label}
                data-testid="answer-option"
                data-choice={String(i + 1)}
                onClick={() => void run('answer', { choice: String(i + 1) })}
              >
                {i + 1}. {label}
              </button>
            ))}
            <button
              type="button"
              data-testid="answer-yes"
              onClick={() => void run('answer', { choice: 'yes' })}
            >
              Yes
            </button>
            <button
              type="button"
              data-testid="answer-no"
              onClick={() => void run('answer', { choice: 'no' })}
            >
              No
            </button>
          </div>
        </>
      ) : (
        <p>{row.reason ?? 'The agent is waiting for input.'}</p>
      )}
    </section>
  );
}

function SendBox({ run, busy }: { run: Run; busy: ActionName | null }) {
  const [text, setText] = useState('');
  return (
    <form
      class="send"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() === '') return;
        void run('send', { text }).then(() => setText(''));
      }}
    >
      <textarea
        data-testid="send-text"
        rows={2}
        placeholder="type input for the agent (delivered once)"
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <button type="submit" data-testid="send-button" disabled={busy !== null}>
        Send
      </button>
    </form>
  );
}

function LogSection({ name, runs, stamp }: { name: string; runs: number[]; stamp: string }) {
  const [text, setText] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [timestamps, setTimestamps] = useState(false);
  const [run, setRun] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    const q = new URLSearchParams();
    if (run) q.set('run', run);
    if (timestamps) q.set('timestamps', '1');
    getJson<{ text: string }>(`/api/tasks/${enc(name)}/log?${q}`)
      .then((r) => {
        setText(r.text);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  };
  useEffect(load, [name, run, timestamps, stamp]);
  const lines = (text ?? '').split('\n');
  const needle = search.trim().toLowerCase();
  const shown = needle ? lines.filter((l) => l.toLowerCase().includes(needle)) : lines;
  return (
    <section>
      <h2>Log</h2>
      <div class="toolbar">
        <input
          data-testid="log-search"
          type="search"
          placeholder="search the log"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <label>
          <input
            type="checkbox"
            data-testid="log-timestamps"
            checked={timestamps}
            onChange={(e) => setTimestamps((e.target as HTMLInputElement).checked)}
          />{' '}
          timestamps
        </label>
        <select value={run} onChange={(e) => setRun((e.target as HTMLSelectElement).value)}>
          <option value="">every run</option>
          {runs.map((n) => (
            <option value={String(n)} key={n}>
              run {n}
            </option>
          ))}
        </select>
        <button type="button" onClick={load}>
          Refresh
        </button>
        {needle ? <span class="dim">{shown.length} matching lines</span> : null}
      </div>
      {error ? <p class="error">{error}</p> : null}
      <pre class="log" data-testid="log">
        {shown.slice(-2000).join('\n')}
      </pre>
    </section>
  );
}

function Transcript({ name, stamp }: { name: string; stamp: string }) {
  const [text, setText] = useState('');
  useEffect(() => {
    getJson<{ text: string }>(`/api/tasks/${enc(name)}/transcript`)
      .then((r) => setText(r.text))
      .catch((e: Error) => setText(e.message));
  }, [name, stamp]);
  return (
    <section>
      <h2>Transcript</h2>
      <pre class="log" data-testid="transcript">
        {text}
      </pre>
    </section>
  );
}

function Journal({ name, live }: { name: string; live: Live }) {
  const [fetched, setFetched] = useState<JournalEntry[]>([]);
  useEffect(() => {
    getJson<{ entries: JournalEntry[] }>(`/api/tasks/${enc(name)}/journal`)
      .then((r) => setFetched(r.entries))
      .catch(() => setFetched([]));
  }, [name]);
  const newest = fetched.at(-1)?.id ?? 0;
  const entries = [...fetched, ...live.entries.filter((e) => e.task === name && e.id > newest)].slice(-500);
  return (
    <section>
      <h2>Journal</h2>
      <table data-testid="journal" class="journal">
        <tbody>
          {entries
            .slice()
            .reverse()
            .map((e) => (
              <tr key={e.id} data-type={e.type}>
                <td class="dim">{clock(e.at)}</td>
                <td>{e.run !== null ? `run ${e.run}` : ''}</td>
                <td>
                  <b>{e.type}</b>
                </td>
                <td class="dim">{Object.keys(e.data).length > 0 ? JSON.stringify(e.data) : ''}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </section>
  );
}

function Checkpoints({ name, stamp }: { name: string; stamp: string }) {
  const [list, setList] = useState<Checkpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diff, setDiff] = useState<{ id: string; stat: string; patch: string } | null>(null);
  useEffect(() => {
    getJson<{ checkpoints: Checkpoint[] }>(`/api/tasks/${enc(name)}/checkpoints`)
      .then((r) => {
        setList(r.checkpoints);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [name, stamp]);
  const open = (id: string) =>
    getJson<{ stat: string; patch: string }>(`/api/tasks/${enc(name)}/checkpoints/${enc(id)}/diff`)
      .then((d) => setDiff({ id, ...d }))
      .catch((e: Error) => setDiff({ id, stat: e.message, patch: '' }));
  return (
    <section>
      <h2>Checkpoints</h2>
      {error ? <p class="error">{error}</p> : null}
      <table data-testid="checkpoints">
        <tbody>
          {(list ?? []).map((c) => (
            <tr key={c.id}>
              <td>
                <button type="button" class="link" onClick={() => void open(c.id)}>
                  {c.id}
                </button>
              </td>
              <td>{clock(c.at)}</td>
              <td>{c.run !== null ? `run ${c.run}` : ''}</td>
              <td class="num">{c.files} files</td>
              <td class="num">
                <span class="add">+{c.insertions}</span> <span class="del">-{c.deletions}</span>
              </td>
              <td class="dim">{c.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list !== null && list.length === 0 ? <p class="dim">No checkpoints yet.</p> : null}
      {diff ? (
        <div data-testid="diff" class="diff">
          <h3>{diff.id}</h3>
          <pre class="log">{diff.stat}</pre>
          <pre class="log">
            {diff.patch.split('\n').map((line, i) => (
              <span
                key={i}
                class={
                  line.startsWith('+') && !line.startsWith('+++')
                    ? 'add'
                    : line.startsWith('-') && !line.startsWith('---')
                      ? 'del'
                      : line.startsWith('@@')
                        ? 'hunk'
                        : ''
                }
              >
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        </div>
      ) : null}
    </section>
  );
}

function Recovery({ name, stamp }: { name: string; stamp: string }) {
  const [report, setReport] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<Record<string, unknown>>(`/api/tasks/${enc(name)}/recovery`)
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [name, stamp]);
  return (
    <section>
      <h2>Recovery report</h2>
      <div data-testid="recovery">
        {error ? <p class="dim">{error}</p> : null}
        {report ? (
          <dl class="facts">
            {Object.entries(report).map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>
                  {typeof v === 'object' && v !== null ? (
                    <pre class="log">{JSON.stringify(v, null, 2)}</pre>
                  ) : (
                    String(v)
                  )}
                </dd>
              </Fragment>
            ))}
          </dl>
        ) : null}
      </div>
    </section>
  );
}
