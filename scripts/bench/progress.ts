// Progress on the terminal while the bench runs: the step, its countdown, the overall estimate.
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private label = '';
  private stepStarted = 0;
  private stepSeconds = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(private readonly estimateSeconds: number) {}

  note(message: string): void {
    this.clear();
    console.log(`${this.elapsed()} ${message}`);
  }

  start(label: string, seconds: number): void {
    this.clear();
    this.label = label;
    this.stepStarted = Date.now();
    this.stepSeconds = seconds;
    if (!this.tty) {
      process.stdout.write(`${this.elapsed()} ${label} … `);
      return;
    }
    this.render();
    this.timer = setInterval(() => this.render(), 500);
  }

  done(result: string): void {
    this.clear();
    if (this.tty) console.log(`${this.elapsed()} ${this.label}: ${result}`);
    else console.log(result);
  }

  stop(): void {
    this.clear();
  }

  private render(): void {
    const left = Math.max(0, this.stepSeconds - (Date.now() - this.stepStarted) / 1000);
    process.stdout.write(`\r\x1b[2K${this.elapsed()} ${this.label} … ${left.toFixed(0)} s left`);
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) process.stdout.write('\r\x1b[2K');
  }

  private elapsed(): string {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    return `[${String(seconds).padStart(3)} s / ~${this.estimateSeconds} s]`;
  }
}
