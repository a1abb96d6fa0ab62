"""Progress output for long fits: silent for quick fits, a live line after a couple of seconds."""
import sys
import time

PROGRESS_DELAY_S = 2.0
PROGRESS_INTERVAL_S = 0.5


class Progress:
    """Report iterations of a long loop on stderr.

    Nothing is printed until ``PROGRESS_DELAY_S`` seconds have passed (quick fits stay
    silent); after that the line ``label: iteration i/n, log-lik ..., change ...`` is
    refreshed at most every ``PROGRESS_INTERVAL_S`` seconds, in place on a terminal and
    as plain lines otherwise.
    """

    def __init__(self, label, total, enabled=True, stream=None):
        self.label = label
        self.total = total
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.last = -float("inf")
        self.shown = False
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, iteration, log_likelihood, change):
        if not self.enabled:
            return
        now = time.perf_counter()
        interval = PROGRESS_INTERVAL_S if self.interactive else 5 * PROGRESS_INTERVAL_S
        if now - self.start < PROGRESS_DELAY_S or now - self.last < interval:
            return
        self.last = now
        self.shown = True
        line = (
            f"{self.label}: iteration {iteration}/{self.total}, mean log-lik {log_likelihood:.6f}, "
            f"change {change:.2e}, {now - self.start:.1f} s"
        )
        self.stream.write(("\r" + line) if self.interactive else (line + "\n"))
        self.stream.flush()

    def close(self):
        if self.enabled and self.shown and self.interactive:
            self.stream.write("\n")
            self.stream.flush()
