/**
 * Shared pieces of the streaming file readers (Amazon, Taobao): lines of a plain or gzipped file
 * with a progress display over the bytes read, a tally of malformed lines, and id interning.
 * Nothing here holds more than one chunk of the file and one partial line at a time.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import cliProgress from 'cli-progress';

export interface ReadLinesOptions {
  /** Label of the progress display (default: the file name). */
  label?: string;
  /**
   * Show progress on stderr (default true): a cli-progress bar on a terminal, a plain line every
   * 30 s otherwise (logs of long runs), as train/progress.ts does for training.
   */
  progress?: boolean;
  /** Called after every chunk read from disk: bytes read so far and the file size (compressed size for .gz). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** A line longer than this throws instead of growing without bound (a file without newlines). Default 64 MiB. */
  maxLineLength?: number;
}

const CHUNK_BYTES = 1 << 20;
const DEFAULT_MAX_LINE_LENGTH = 64 << 20;

/**
 * The lines of a text file (UTF-8, `\n` or `\r\n`, a leading BOM dropped), gunzipped on the fly
 * when the file starts with the gzip magic bytes, whatever its name.
 */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<string> {
  for await (const batch of readLineBatches(path, options)) yield* batch;
}

/**
 * The same lines, one array per chunk read (≈ 1 MiB). A line per `await` costs a few microtask
 * hops per line, which at 10⁷ lines is tens of seconds; a batch per await costs nothing.
 */
export async function* readLineBatches(path: string, options: ReadLinesOptions = {}): AsyncGenerator<string[]> {
  const totalBytes = statSync(path).size;
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const display = options.progress === false ? undefined : byteProgress(options.label ?? basename(path), totalBytes);
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let bytesRead = 0;
  file.on('data', (chunk) => {
    bytesRead += chunk.length;
    display?.update(bytesRead);
    options.onProgress?.(bytesRead, totalBytes);
  });
  // pipeline() forwards a read error to the gunzip stream, so the loop below throws it.
  const input: Readable = isGzip(path) ? pipeline(file, createGunzip(), () => {}) : file;
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let lineNumber = 0;
  const emit = (line: string) => {
    lineNumber++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return lineNumber === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  };
  try {
    for await (const chunk of input) {
      const text = partial + decoder.write(chunk as Buffer);
      const batch: string[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        batch.push(emit(text.slice(start, end)));
        start = end + 1;
      }
      partial = text.slice(start);
      if (batch.length > 0) yield batch;
      if (partial.length > maxLineLength) throw new Error(`${path}: line ${lineNumber + 1} is longer than ${maxLineLength} characters`);
    }
    partial += decoder.end();
    if (partial.length > 0) yield [emit(partial)];
  } finally {
    file.destroy();
    input.destroy();
    display?.stop();
  }
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

interface ByteProgress {
  update(bytes: number): void;
  stop(): void;
}

const MB = 1024 * 1024;

function byteProgress(label: string, total: number, tty = process.stderr.isTTY === true, intervalMs = 30_000): ByteProgress {
  const started = performance.now();
  const rate = (bytes: number) => (bytes / MB / Math.max(1e-3, (performance.now() - started) / 1000)).toFixed(1);
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {done}/{size} MB | {rate} MB/s | ETA {eta_formatted}`, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    const size = (total / MB).toFixed(0);
    bar.start(Math.max(total, 1), 0, { done: '0', size, rate: '-' });
    return {
      update(bytes) {
        bar.update(bytes, { done: (bytes / MB).toFixed(0), size, rate: rate(bytes) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  // Not a terminal: cli-progress would render from a timer; a line every interval reads better in logs.
  let lastLine = started;
  return {
    update(bytes) {
      if (performance.now() - lastLine < intervalMs) return;
      lastLine = performance.now();
      console.error(`${label}: ${(bytes / MB).toFixed(0)}/${(total / MB).toFixed(0)} MB (${((100 * bytes) / Math.max(total, 1)).toFixed(0)} %), ${rate(bytes)} MB/s`);
    },
    stop() {},
  };
}

/** Share of malformed lines a reader tolerates by default: 1 %. */
export const DEFAULT_MAX_MALFORMED_FRACTION = 0.01;

export interface MalformedReport {
  /** Non-empty lines read. */
  lines: number;
  malformed: number;
  /**
   * The first few malformed lines: 1-based line number and why; `where` when the line number alone
   * does not locate it (a shard of a directory, a Parquet row and its row group: data/duckdb/).
   */
  examples: Array<{ line: number; reason: string; where?: string }>;
}

/**
 * Counts malformed lines instead of failing on the first one (real dumps have the odd broken
 * line); `finish` throws when more than `maxFraction` of the non-empty lines were malformed — at
 * that point the file is probably not in the expected format.
 */
export class MalformedLines {
  private count = 0;
  private lines = 0;
  private readonly examples: MalformedReport['examples'] = [];

  constructor(
    private readonly file: string,
    private readonly maxFraction = DEFAULT_MAX_MALFORMED_FRACTION,
    private readonly keepExamples = 5,
  ) {}

  /** One more non-empty line read (recordLines calls it). */
  countLine(): void {
    this.lines++;
  }

  record(line: number, reason: string): void {
    this.count++;
    if (this.examples.length < this.keepExamples) this.examples.push({ line, reason });
  }

  finish(): MalformedReport {
    const lines = this.lines;
    const report = { lines, malformed: this.count, examples: [...this.examples] };
    if (this.count > this.maxFraction * lines) {
      const shown = this.examples.map((e) => `line ${e.line}: ${e.reason}`).join('; ');
      throw new Error(
        `${this.file}: ${this.count} of ${lines} lines are malformed (more than ${100 * this.maxFraction} % allowed) — first: ${shown}`,
      );
    }
    return report;
  }
}

/**
 * One shared string per distinct id. Ids cut out of a line can be V8 slices that keep the whole
 * line alive; the first occurrence is copied, so the vocabulary — not the file — bounds memory.
 */
export function createInterner(): (id: string) => string {
  const ids = new Map<string, string>();
  return (id) => {
    let shared = ids.get(id);
    if (shared === undefined) {
      shared = Buffer.from(id, 'utf8').toString('utf8');
      ids.set(shared, shared);
    }
    return shared;
  };
}

/**
 * The non-empty lines of a record file (one record per line) with their 1-based line numbers,
 * counted in `malformed` so its `finish()` knows the share of malformed ones.
 */
export async function* recordLines(path: string, malformed: MalformedLines, options: { progress?: boolean } = {}): AsyncGenerator<{ text: string; number: number }> {
  let number = 0;
  for await (const text of readLines(path, { progress: options.progress, label: `reading ${basename(path)}` })) {
    number++;
    if (text.trim() === '') continue;
    malformed.countLine();
    yield { text, number };
  }
}
