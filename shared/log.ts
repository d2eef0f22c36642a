/**
 * Cloud Logging structured logs: one JSON line per entry on stdout (stderr for errors), with
 * severity, message, taskId, userHash and the trace. Never document text, emails or tokens.
 */
export const Severity = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Severity = (typeof Severity)[number];

export interface LogFields {
  taskId?: string;
  userHash?: string;
  trace?: string;
  spanId?: string;
  traceSampled?: boolean;
  httpRequest?: HttpRequestEntry;
  [key: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string, severity: Severity) => void;

const defaultSink: LogSink = (line, severity) => {
  (severity === 'ERROR' || severity === 'CRITICAL' ? process.stderr : process.stdout).write(line + '\n');
};

/** The request's place in a trace, as Cloud Logging links it: the trace's resource name and the span. */
export interface TraceContext {
  trace: string;
  spanId?: string;
  sampled?: boolean;
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The trace a request belongs to, from X-Cloud-Trace-Context (`TRACE/SPAN;o=1`, the span in
 * decimal) or W3C traceparent (`00-TRACE-SPAN-FLAGS`, hex). Cloud Logging wants the span as 16 hex
 * digits; a malformed part is left out rather than guessed.
 */
export function traceFrom(headers: Record<string, string | string[] | undefined>, projectId: string): TraceContext | undefined {
  const cloud = /^([0-9a-f]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?/i.exec(first(headers['x-cloud-trace-context']) ?? '');
  if (cloud?.[1]) {
    const span = cloud[2] ? BigInt(cloud[2]) : 0n;
    return {
      trace: `projects/${projectId}/traces/${cloud[1].toLowerCase()}`,
      ...(span > 0n && span < 2n ** 64n ? { spanId: span.toString(16).padStart(16, '0') } : {}),
      ...(cloud[3] ? { sampled: cloud[3] === '1' } : {}),
    };
  }
  const w3c = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i.exec(first(headers['traceparent'])?.trim() ?? '');
  if (w3c?.[1] && w3c[2] && w3c[3]) {
    return { trace: `projects/${projectId}/traces/${w3c[1].toLowerCase()}`, spanId: w3c[2].toLowerCase(), sampled: (parseInt(w3c[3], 16) & 1) === 1 };
  }
  return undefined;
}

/** Cloud Logging's httpRequest: one per request, successes too. */
export interface HttpRequestEntry {
  requestMethod: string;
  requestUrl: string;
  status: number;
  /** Seconds, as Cloud Logging's Duration: "0.123s". */
  latency: string;
  responseSize?: string;
  requestSize?: string;
  userAgent?: string;
  remoteIp?: string;
}

/** Fields with a special meaning to Cloud Logging, renamed onto its keys. */
const SPECIAL_FIELDS: Record<string, string> = {
  trace: 'logging.googleapis.com/trace',
  spanId: 'logging.googleapis.com/spanId',
  traceSampled: 'logging.googleapis.com/trace_sampled',
};

/** One Cloud Logging entry, as a JSON line without its newline. */
export function logEntry(component: string, severity: Severity, message: string, fields: LogFields = {}): string {
  const entry: Record<string, unknown> = { severity, message, component };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) entry[SPECIAL_FIELDS[key] ?? key] = value;
  }
  entry.time = new Date().toISOString();
  // The function (component) as a label, so one function's lines can be filtered in Cloud Logging.
  entry['logging.googleapis.com/labels'] = { function: component };
  return JSON.stringify(entry, errorReplacer);
}

export function createLogger(component: string, base: LogFields = {}, sink: LogSink = defaultSink): Logger {
  const write = (severity: Severity, message: string, fields: LogFields = {}) => sink(logEntry(component, severity, message, { ...base, ...fields }), severity);
  return {
    debug: (m, f) => write('DEBUG', m, f),
    info: (m, f) => write('INFO', m, f),
    warn: (m, f) => write('WARNING', m, f),
    error: (m, f) => write('ERROR', m, f),
    child: (fields) => createLogger(component, { ...base, ...fields }, sink),
  };
}

/** The log fields of a request's trace. */
export function traceFields(context: TraceContext | undefined): LogFields {
  if (!context) return {};
  return { trace: context.trace, ...(context.spanId ? { spanId: context.spanId } : {}), ...(context.sampled !== undefined ? { traceSampled: context.sampled } : {}) };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}) };
  }
  return value;
}
