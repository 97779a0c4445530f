/**
 * A seeded A/B simulator (issue 26, item 4): simulated users drive the real worker — score requests
 * on a route, then a click outcome with a probability that depends on the variant by a planted
 * relative lift — and the readout is computed from what the worker stored. Runs against any `fetch`
 * (wrangler dev over HTTP in the benchmark, the worker's own fetch inside workerd in the tests).
 *
 * Planted SRM: some users never arrive (decided before their first request, from the route's public
 * assignment), so that the variants' units follow the planted split instead of the weights.
 */
import seedrandom from 'seedrandom';
import { assign, unitKeyOf } from '../../core/experiments/assignment.js';
import type { Route } from '../../core/experiments/routeConfig.js';

export interface SimulationSettings {
  seed: string;
  users: number;
  /** Click probability per exposure in the control. */
  baseCtr: number;
  /** Planted relative lift of every other variant's click probability (0: none). */
  lift: number;
  /**
   * Planted split of arriving units, e.g. [52, 48] on a 50/50 route: users are assigned as the worker
   * does, then the first users of each variant in id order arrive, as many as make exactly this
   * ratio (the others never send a request: lost exposures, a redirect that drops one arm).
   */
  plantedSplit?: number[];
  /** Page views per user: 1 … maxViews, uniform. */
  maxViews: number;
  /** Candidate items to score (known ids of the route's models). */
  items: string[];
  concurrency: number;
}

export interface SimulationResult {
  users: number;
  requests: number;
  clicks: number;
  failures: string[];
}

type Fetch = (path: string, body: unknown) => Promise<Response>;

export async function simulate(post: Fetch, route: Route, s: SimulationSettings): Promise<SimulationResult> {
  const random = seedrandom(`ab-sim:${s.seed}`);
  const control = route.variants[0].name;
  // Every random draw is made up front, in user order, so the outcome does not depend on timing.
  const planned: Array<{ user: string; variant: string; views: number; clicks: number[]; picks: number[] }> = [];
  for (let i = 0; i < s.users; i++) {
    const user = `sim-${s.seed}-${i}`;
    const views = 1 + Math.floor(random() * s.maxViews);
    const u = Array.from({ length: views }, () => random());
    const picks = Array.from({ length: views }, () => Math.floor(random() * 10));
    const variant = (await assign(route, await unitKeyOf(user))).variant.name;
    const p = variant === control ? s.baseCtr : s.baseCtr * (1 + s.lift);
    planned.push({ user, variant, views, clicks: u.map((x) => (x < p ? 1 : 0)), picks });
  }
  let plans = planned;
  if (s.plantedSplit) {
    const split = s.plantedSplit;
    const counts = route.variants.map((v) => planned.filter((p) => p.variant === v.name).length);
    // The largest number of units that fits every variant's count at the planted ratio.
    const scale = Math.min(...counts.map((n, i) => n / split[i]));
    const keep = new Map(route.variants.map((v, i) => [v.name, Math.floor(scale * split[i])]));
    plans = planned.filter((p) => {
      const left = keep.get(p.variant) ?? 0;
      keep.set(p.variant, left - 1);
      return left > 0;
    });
  }
  const result: SimulationResult = { users: plans.length, requests: 0, clicks: 0, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const plan = plans[next++];
      for (let v = 0; v < plan.views; v++) {
        const candidates = Array.from({ length: 10 }, (_, k) => s.items[(plan.user.length * 7 + v * 13 + k * 31) % s.items.length]);
        const res = await post(`/v1/score/${route.name}`, { user: plan.user, history: candidates.slice(0, 3), candidates });
        result.requests++;
        if (res.status !== 200) {
          if (result.failures.length < 10) result.failures.push(`score ${res.status}: ${await res.text()}`);
          continue;
        }
        const body = (await res.json()) as { assignment: { token: string } };
        if (!plan.clicks[v]) continue;
        const out = await post(`/v1/outcomes/${route.name}`, { token: body.assignment.token, event: 'click', item: candidates[plan.picks[v]], idempotencyKey: `${plan.user}-v${v}`.replace(/[^A-Za-z0-9_-]/g, '_').padEnd(8, '_') });
        result.requests++;
        if (out.status === 204) result.clicks++;
        else if (result.failures.length < 10) result.failures.push(`outcome ${out.status}: ${await out.text()}`);
      }
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  return result;
}
