import type { ActionName, ActionRequest, ActionResult } from '../protocol.js';

/** GET a JSON document of the dashboard's API; an error's own message when it failed. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const message = (body as { error?: unknown } | null)?.error;
    throw new Error(typeof message === 'string' ? message : `${path}: HTTP ${res.status}`);
  }
  return body as T;
}

export async function act(task: string, action: ActionName, body: ActionRequest = {}): Promise<ActionResult> {
  const res = await fetch(`/api/tasks/${encodeURIComponent(task)}/${action}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const result = (await res.json().catch(() => null)) as ActionResult | { error?: string } | null;
  if (result && 'ok' in result) return result;
  return {
    ok: false,
    exitCode: res.status,
    command: `holdfast ${action} ${task}`,
    result: null,
    error: result?.error ?? `HTTP ${res.status}`,
  };
}

export const taskHref = (name: string) => `/task/${encodeURIComponent(name)}`;
export const missionHref = (name: string) => `/mission/${encodeURIComponent(name)}`;
