/** Resolves when `promise` settles or after `ms`, whichever comes first (never rejects). */
export async function withinGrace(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise.then(ignore, ignore), grace]);
  } finally {
    clearTimeout(timer);
  }
}

function ignore(): void {}
