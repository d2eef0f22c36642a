/** One file through the upload function (multipart), as a caller of the local suite: its task id. */
export async function uploadOne(uploadUrl: string, user: string, name: string, bytes: Uint8Array, fields: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)]), name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const res = await fetch(`${uploadUrl}/`, { method: 'POST', body: form, headers: { 'x-user-email': user } });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { tasks: Array<{ taskId: string }> }).tasks[0]!.taskId;
}
