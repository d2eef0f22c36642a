/** Names and times of local launch data folders (data/{YYYYMMDD_HHMMSS}/). */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** YYYYMMDD_HHMMSS in local time: the folder name of one launch. */
export function launchTimestamp(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

export const LAUNCH_FOLDER = /^\d{8}_\d{6}$/;

/** ISO 8601 in local time with its UTC offset, e.g. 2026-11-29T09:30:00+01:00. */
export function localOffsetIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
