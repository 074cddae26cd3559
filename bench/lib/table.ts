import Table from 'cli-table3';
import type { Scenario, ScenarioResult } from './scenario.js';

/** One plain-text table (no colours, so it can be pasted as it is) of every scenario's rows. */
export function renderTable(
  scenarios: readonly Scenario[],
  results: Record<string, ScenarioResult | { error: string }>,
): string {
  const table = new Table({
    head: ['scenario', 'metric', 'holdfast', 'peer', 'peer figure'],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
    colWidths: [13, 58, 28, 24, 26],
  });
  for (const scenario of scenarios) {
    const result = results[scenario.name];
    if (!result) continue;
    if ('error' in result) {
      table.push([scenario.name, 'FAILED', { colSpan: 3, content: result.error.split('\n')[0] ?? '' }]);
      continue;
    }
    result.rows.forEach((row, i) => {
      table.push([i === 0 ? scenario.name : '', row.metric, row.holdfast, row.peer, row.peerValue]);
    });
  }
  return `${table.toString()}\n`;
}
