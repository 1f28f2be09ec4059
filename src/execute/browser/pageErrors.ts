/**
 * How a call into a page can fail: the page itself failed (PageFailure: crashed, lost its device,
 * hung, or would not open), or the kernel in it threw (PageKernelError). Kept apart from the session
 * so the types a library user sees never name playwright-core.
 */
export type PageFailureKind = 'crashed' | 'lost' | 'hung' | 'unavailable';

/** The page failed during a call (or could not be opened): the call is lost, the next one reopens it. */
export class PageFailure extends Error {
  constructor(
    readonly kind: PageFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'PageFailure';
  }
}

/**
 * A kernel's error in the page: it threw in a phase (the page itself is fine). It carries the page's
 * error name ('Error', 'TypeError'), so the verdict reads as the same kernel's would in Node.
 */
export class PageKernelError extends Error {
  constructor(
    readonly phase: 'forward' | 'backward',
    message: string,
    name = 'Error',
  ) {
    super(message);
    this.name = name;
  }
}
