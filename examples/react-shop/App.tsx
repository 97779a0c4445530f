/**
 * A React app that ranks a shelf in the browser with the interest-edge package (examples/README.md).
 * `useScorer` loads the model off the main thread once; every change of the clicks re-ranks.
 */
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Scorer, type BrowserScoreResponse, type ScorerApi } from 'interest-edge/browser';

const EDGE = new URLSearchParams(location.search).get('edge') ?? 'http://127.0.0.1:8787';
const SHELF = ['1210', '593', '318', '296', '4993', '2959', '356', '527'];

function useScorer(model: string): { scorer?: ScorerApi; error?: string } {
  const [state, setState] = useState<{ scorer?: ScorerApi; error?: string }>({});
  useEffect(() => {
    const controller = new AbortController();
    Scorer.load({ baseUrl: EDGE, model, thread: 'worker', workerUrl: new URL('./scorer-worker.js', import.meta.url), signal: controller.signal }).then(
      (scorer) => setState({ scorer }),
      (err: Error) => err.name !== 'AbortError' && setState({ error: err.message }),
    );
    return () => controller.abort();
  }, [model]);
  return state;
}

function Shelf() {
  const { scorer, error } = useScorer('din-movielens');
  const [clicks, setClicks] = useState<string[]>(['1196', '260']);
  const [ranked, setRanked] = useState<BrowserScoreResponse['scores']>([]);
  useEffect(() => {
    if (scorer) void scorer.score({ history: clicks, candidates: SHELF.filter((id) => !clicks.includes(id)) }).then((r) => setRanked(r.scores));
  }, [scorer, clicks]);
  if (error) return <p role="alert">Could not load the scorer: {error}</p>;
  if (!scorer) return <p>loading…</p>;
  return (
    <ol data-provider={scorer.executionProvider}>
      {ranked.map((s) => (
        <li key={s.item}>
          <button type="button" onClick={() => setClicks([...clicks, s.item])}>movie {s.item}</button> {s.score.toFixed(3)}
        </li>
      ))}
    </ol>
  );
}

createRoot(document.getElementById('root')!).render(<Shelf />);
