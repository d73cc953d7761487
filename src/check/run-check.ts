// PURE. Every verdict a report folder's line files support: linearizability of history.jsonl, the watch checks
// of watch.jsonl (`etcd-lab check DIR`; a chaos run does the same on what it has in memory).
import { checkRegisterHistory } from './linearizability.js';
import { parseHistoryJsonl, parseWatchJsonl } from './run-files.js';
import { linearizabilityVerdicts, watchVerdicts, type Verdicts } from './run-verdicts.js';
import { checkWatches } from './watch.js';

export function checkRunFiles(historyText: string, watchText: string | null, budgetMs: number): Verdicts {
  const lin = linearizabilityVerdicts(checkRegisterHistory(parseHistoryJsonl(historyText), { budgetMs }));
  if (watchText === null) return lin;
  const { log, final } = parseWatchJsonl(watchText);
  const w = watchVerdicts(checkWatches(log, final));
  return { verdicts: [...lin.verdicts, ...w.verdicts], violations: [...lin.violations, ...w.violations] };
}
