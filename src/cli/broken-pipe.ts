/**
 * What `telenode` does when whatever reads its output goes away (`telenode contacts list | head -1`, a closed
 * terminal, a log reader that died). The next write then fails with EPIPE: Node ignores SIGPIPE (POSIX would end
 * the process quietly), so the failure arrives as an 'error' event on the stream, and unhandled it ended the process
 * with a stack trace. One-shot commands now end quietly, as the other writers into `head` do; the simulators
 * (`smsc-sim`, `modem-sim`) are servers that ESMEs and daemons stay bound to, so they stop printing and serve on.
 * The daemon's own log lines go through pino, which already drops them on a broken pipe.
 */

type OnBrokenPipe = 'end-quietly' | 'serve-on';

let onBrokenPipe: OnBrokenPipe = 'end-quietly';

/** Installed once, before any command runs. */
export function handleBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // Anything else on a standard stream is as unexpected as before: it ends the process as it always did.
      if (err.code !== 'EPIPE') throw err;
      if (onBrokenPipe === 'end-quietly') process.exit(0);
    });
  }
}

/** For servers: a reader that goes away costs their printed lines, never their service. */
export function serveOnWithoutReader(): void {
  onBrokenPipe = 'serve-on';
}
