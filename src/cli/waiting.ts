/** What a task in `waiting-input` waits for from a person, as one command line to type. */
export function waitingHint(task: { name: string; reason: string | null }): string {
  return task.reason?.startsWith('permission-denied')
    ? `holdfast resume ${task.name} --unattended (lets the agent use its tools), or --prompt TEXT`
    : `holdfast resume ${task.name} --prompt TEXT`;
}
