/**
 * What a long command shows while it works, on stderr: a progress bar on a terminal; in CI or when
 * piped, one short line per finished item and, while something takes longer, a line every 10 s
 * saying what faultline is doing (common/errors.ts `doing`). Quiet with `enabled: false`.
 */
import { currentActivity } from './errors.js';

const HEARTBEAT_MS = 10_000;

export interface ProgressOptions {
  /** Default: on unless FAULTLINE_QUIET is set. */
  enabled?: boolean;
  /** A bar rather than lines; default: stderr is a terminal and CI is not set. */
  bar?: boolean;
}

type Bar = { start(total: number, value: number, payload: object): void; update(value: number, payload: object): void; stop(): void };

export class Progress {
  private done = 0;
  private total = 0;
  private readonly started = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private bar: Bar | undefined;
  private readonly enabled: boolean;
  private readonly useBar: boolean;

  constructor(
    private readonly label: string,
    opts: ProgressOptions = {},
  ) {
    this.enabled = opts.enabled ?? !process.env.FAULTLINE_QUIET;
    this.useBar = this.enabled && (opts.bar ?? (Boolean(process.stderr.isTTY) && !process.env.CI));
  }

  /** Starts counting `total` items (0 for a command without items: heartbeat lines only). */
  async start(total: number): Promise<void> {
    this.total = total;
    if (!this.enabled) return;
    if (this.useBar && total > 0) {
      const { default: cliProgress } = await import('cli-progress');
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${this.label} |{bar}| {value}/{total} | ETA {eta_formatted} | {item}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { item: '' });
      this.bar = bar;
      return;
    }
    this.heartbeat = setInterval(() => this.line(`${currentActivity()} (${this.elapsed()})`), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** One item finished. */
  tick(item: string): void {
    this.done++;
    if (!this.enabled) return;
    if (this.bar) this.bar.update(this.done, { item });
    else this.line(`${this.done}/${this.total} ${item} (${this.elapsed()})`);
  }

  /** A phase of a one-item command finished, e.g. "read 329,000 spans". */
  note(what: string): void {
    if (this.enabled && !this.bar) this.line(`${what} (${this.elapsed()})`);
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.bar?.stop();
  }

  private elapsed(): string {
    const s = (Date.now() - this.started) / 1000;
    return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }

  private line(text: string): void {
    process.stderr.write(`${this.label}: ${text}\n`);
  }
}
