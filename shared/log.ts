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

/** The `trace` field Cloud Logging links to a request, from X-Cloud-Trace-Context or traceparent. */
export function traceFrom(headers: Record<string, string | string[] | undefined>, projectId: string): string | undefined {
  const header = headers['x-cloud-trace-context'];
  const cloud = (Array.isArray(header) ? header[0] : header)?.split('/')[0];
  const parent = headers['traceparent'];
  const w3c = (Array.isArray(parent) ? parent[0] : parent)?.split('-')[1];
  const id = cloud || w3c;
  return id ? `projects/${projectId}/traces/${id}` : undefined;
}

export function createLogger(component: string, base: LogFields = {}, sink: LogSink = defaultSink): Logger {
  const write = (severity: Severity, message: string, fields: LogFields = {}) => {
    const { trace, ...rest } = { ...base, ...fields };
    const entry: Record<string, unknown> = { severity, message, component, ...rest, time: new Date().toISOString() };
    if (trace) entry['logging.googleapis.com/trace'] = trace;
    sink(JSON.stringify(entry, errorReplacer), severity);
  };
  return {
    debug: (m, f) => write('DEBUG', m, f),
    info: (m, f) => write('INFO', m, f),
    warn: (m, f) => write('WARNING', m, f),
    error: (m, f) => write('ERROR', m, f),
    child: (fields) => createLogger(component, { ...base, ...fields }, sink),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}) };
  }
  return value;
}
