/**
 * Retries `assertion` until it stops throwing, instead of sleeping for a guessed time. On
 * timeout it rethrows the last failure, so the test reports what was still wrong.
 */
export async function expectEventually<T>(
  assertion: () => T | Promise<T>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (performance.now() + intervalMs > deadline) {
        if (err instanceof Error) {
          err.message = `still failing after ${timeoutMs} ms: ${err.message}`;
        }
        throw err;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
