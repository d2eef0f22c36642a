/**
 * One file through the upload function (multipart), as a caller of the local suite: its task id.
 * Refused for too many requests at once (or too fast), it waits the Retry-After and sends again, as a client should.
 */
export async function uploadOne(uploadUrl: string, user: string, name: string, bytes: Uint8Array, fields: Record<string, string> = {}): Promise<string> {
  const res = await politely(() => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(bytes)]), name);
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    return fetch(`${uploadUrl}/`, { method: 'POST', body: form, headers: { 'x-user-email': user } });
  });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { tasks: Array<{ taskId: string }> }).tasks[0]!.taskId;
}

/** Refusals a polite caller sits out before it takes the 429 for an answer. */
const MAX_REFUSALS = 30;

/**
 * A request sent again after its Retry-After while it is answered 429 (a user's requests are
 * rate-limited and capped at once per instance); `onRefused` counts the refusals.
 */
export async function politely(send: () => Promise<Response>, onRefused: () => void = () => undefined): Promise<Response> {
  let res = await send();
  for (let refusals = 0; res.status === 429 && refusals < MAX_REFUSALS; refusals++) {
    onRefused();
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    res = await send();
  }
  return res;
}
