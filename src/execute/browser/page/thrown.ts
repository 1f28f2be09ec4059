/** An exception in a page as its answer carries it: the message and the error's name. */
export function thrown(e: unknown): { message: string; name: string } {
  return e instanceof Error ? { message: e.message, name: e.name } : { message: String(e), name: 'Error' };
}
