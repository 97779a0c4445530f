/** The soak's markdown report. */
import { table } from '../lib/markdown.js';
import type { SoakResult } from './soak.js';

export function soakMarkdown(r: SoakResult): string {
  const s = r.settings;
  const statuses = (by: Record<string, number>) => Object.entries(by).map(([k, v]) => `${k}: ${v}`).join(', ');
  const rssRows = Object.entries(r.rssByPhase).map(([phase, p]) => [phase, p.minMiB, p.maxMiB, p.lastMiB]);
  // RSS over time, downsampled to ≤ 24 points for the table.
  const step = Math.max(1, Math.ceil(r.rss.length / 24));
  const withHeap = r.rss.filter((x) => x.heapMiB !== undefined);
  const curve = r.rss.filter((_, i) => i % step === 0 || i === r.rss.length - 1).map((x) => [x.t, x.phase, x.mib, x.heapMiB ?? nearestHeap(withHeap, x.t)]);
  return [
    `# Soak ${r.startedAt.slice(0, 10)}: ${r.passed ? 'passed' : 'FAILED'}`,
    `\`npm run soak\` (bench/soak/): wrangler dev on 127.0.0.1, ${r.seconds} s${r.stoppedAtTimeLimit ? ', **stopped at the time limit**' : ''}. ` +
      `Settings: ${s.validRequests} valid requests, ${s.fuzzRequests} fuzzed bodies (a valid request after every ${s.probeEvery}), concurrency ${s.concurrency}, ` +
      `attacks ${s.attacks.join(', ')}, faults ${s.faults.join(', ')} (${s.faultUsers} users each), seed \`${s.seed}\`, cap ${s.maxSeconds} s.`,
    '## Requests',
    table(
      ['phase', 'sent', 'statuses', '5xx', 'non-JSON errors', 'no answer', 'other'],
      [
        ['load (H = 50, C = 100, every route)', r.load.sent, statuses(r.load.byStatus), r.load.serverErrors, r.load.nonJsonErrors, r.load.noAnswer, `p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms`],
        ['fuzz', r.fuzz.sent, statuses(r.fuzz.byStatus), r.fuzz.serverErrors, r.fuzz.nonJsonErrors, r.fuzz.noAnswer, `valid probes failed: ${r.fuzz.probeFailures}/${r.fuzz.probes}; largest error body ${r.fuzz.largestErrorBytes} B`],
      ],
    ),
    ...(r.load.problems.length + r.fuzz.problems.length > 0 ? ['Problems:', [...r.load.problems, ...r.fuzz.problems].map((p) => `- ${p}`).join('\n')] : []),
    '## Transport',
    table(['case', 'answer', 'next valid request', 'passed'], r.transport.map((t) => [t.case, t.status, t.nextStatus, t.passed ? 'yes' : 'NO'])),
    `After all of it, the ${r.after.baselineRequests} baseline requests gave scores with max |Δ| = ${r.after.maxScoreDelta} from before (hostile input never touches a loaded model). ` +
      `Isolate V8 heap at the end: ${r.after.heapUsedMiB} MiB used of ${r.after.heapTotalMiB} MiB.`,
    '## Attacks',
    'Issue 24, each case on a deployment of its own mode (`RATE_LIMIT_KEY = ip` with `EXPOSURE_LOG = console`; `header:x-api-key` with signed keys), ' +
      `each hostile body sent ${s.attackRepeats}×, the valid exposure reported ${s.exposureReplays}×. After each case: the route's valid request (scores compared with its baseline bit for bit) and \`GET /healthz\`.`,
    table(
      ['case', 'what', 'requests', 'statuses', 'not as expected', 'figures', 'valid request after', '/healthz', 'passed'],
      r.attacks.map((a) => [a.case, a.what, a.sent, statuses(a.byStatus), a.unexpected + a.noAnswer, Object.entries(a.figures).map(([k, v]) => `${k} ${v}`).join(', '), `${a.after.route}: ${a.after.status}, scores ${a.after.identicalScores ? 'identical' : 'DIFFER'}`, `${a.healthz.http} ${a.healthz.status}`, a.passed ? 'yes' : 'NO']),
    ),
    ...(r.attacks.some((a) => a.problems.length) ? ['Problems:', r.attacks.flatMap((a) => a.problems).map((p) => `- ${p}`).join('\n')] : []),
    '## Model faults',
    'Each on a fresh deployment whose `dien-movielens` (the `dien` variant of route `home`, control `din-movielens`) is damaged. Refused at load: every user of `dien` falls back to the control. ' +
      'Poisoned row (the model loads, its golden requests reproduce): only requests with that item get 422 `unscorable_request`, the model serves the rest and stays loaded.',
    table(
      ['fault', 'requests', '5xx', 'non-probabilities', 'users on the damaged variant', 'fallbacks', 'served by the damaged model', '422 (with the poisoned item)', 'other errors', '/healthz', 'passed'],
      r.faults.map((f) => [f.what, f.requests, f.serverErrors, f.nonProbabilities, f.assignedToDamaged, f.fallbacks, f.servedByDamaged, `${f.unscorable} (${f.poisonedRequests})`, f.otherErrors, f.healthz, f.passed ? 'yes' : 'NO']),
    ),
    ...(r.faults.some((f) => f.problems.length) ? ['Problems:', r.faults.flatMap((f) => f.problems).map((p) => `- ${p}`).join('\n')] : []),
    `workerd runtime restarts during the main deployment's phases: ${r.workerdRestarts}.`,
    '## Memory',
    table(
      ['after valid load', 'after the fuzz', `after ${s.idleSeconds} s idle`, `after ${r.memory.reloadRequests} more valid requests`, 'isolate V8 heap at the end'],
      [[`${r.memory.rssAfterLoadMiB} MiB`, `${r.memory.rssAfterFuzzMiB} MiB`, `${r.memory.rssAfterIdleMiB} MiB`, `${r.memory.rssAfterReloadMiB} MiB`, `${r.after.heapUsedMiB} MiB used of ${r.after.heapTotalMiB}`]],
    ),
    `Valid requests after the idle that were not answered 200: ${r.memory.reloadFailures} of ${r.memory.reloadRequests}${r.memory.reloadProblems.length ? ` (${r.memory.reloadProblems.join('; ')})` : ''}.`,
    '## workerd RSS (MiB)',
    table(['phase', 'min', 'max', 'last'], rssRows),
    table(['t (s)', 'phase', 'workerd RSS (MiB)', 'isolate V8 heap used (MiB)'], curve),
  ].join('\n\n');
}

/** The heap sample nearest in time (same deployment), as `≈ x`; '' when none is within 10 s. */
function nearestHeap(samples: Array<{ t: number; heapMiB?: number }>, t: number): string {
  let best: { t: number; heapMiB?: number } | undefined;
  for (const s of samples) if (!best || Math.abs(s.t - t) < Math.abs(best.t - t)) best = s;
  return best && Math.abs(best.t - t) <= 10 ? `≈ ${best.heapMiB}` : '';
}
