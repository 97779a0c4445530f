/**
 * Training progress: a cli-progress bar on a terminal, a plain line every 30 s otherwise (CI logs,
 * `nohup`): cli-progress's own non-TTY mode renders from a timer, which never fires while the fit
 * loop keeps the event loop busy.
 */
import cliProgress from 'cli-progress';

export interface TrainingProgress {
  startEpoch(epoch: number): void;
  update(samples: number, loss: number): void;
  stopEpoch(): void;
}

export function trainingProgress(label: string, total: number, tty = process.stderr.isTTY === true, intervalMs = 30_000): TrainingProgress {
  let epoch = 0;
  let started = 0;
  const rate = (samples: number) => (samples / Math.max(1e-3, (performance.now() - started) / 1000)).toFixed(0);
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} epoch {epoch} [{bar}] {percentage}% | {value}/{total} samples | {rate} samples/s | loss {loss}`, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    return {
      startEpoch(e) {
        epoch = e;
        started = performance.now();
        bar.start(total, 0, { epoch, rate: '-', loss: '-' });
      },
      update(samples, loss) {
        bar.update(samples, { epoch, rate: rate(samples), loss: loss.toFixed(4) });
      },
      stopEpoch() {
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  return {
    startEpoch(e) {
      epoch = e;
      started = lastLine = performance.now();
    },
    update(samples, loss) {
      if (performance.now() - lastLine < intervalMs) return;
      lastLine = performance.now();
      console.error(`${label} epoch ${epoch}: ${samples}/${total} samples (${((100 * samples) / total).toFixed(0)} %), ${rate(samples)} samples/s, loss ${loss.toFixed(4)}`);
    },
    stopEpoch() {},
  };
}
