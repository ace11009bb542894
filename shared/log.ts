/**
 * Structured JSON logger with redaction. Every line is one JSON object on stdout (what
 * CloudWatch and the local runtime expect). Keys that can hold a secret or a personal
 * address are replaced by "[REDACTED]" at any depth, whatever the caller passes.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Lower-cased field names that never reach a log line. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'passcode',
  'pin',
  'pinhash',
  'statetoken',
  'secret',
  'clientsecret',
  'secrethash',
  'phonenumber',
  'email',
  'authorization',
  'token',
  'otp',
  'to',
  'destination',
  'message',
  'body',
  'otpauthuri',
  'qrcode',
  'codes',
  'recoverycodes',
]);

const MAX_DEPTH = 6;

// Provider errors can quote a recipient ("... failed the check: bob@example.com").
const EMAIL = /[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}/g;
const PHONE = /\+?\d[\d\s().-]{6,}\d/g;

/** An error message with any email address or phone number in it replaced. */
export const scrub = (text: string): string =>
  text.replace(EMAIL, '[REDACTED]').replace(PHONE, '[REDACTED]');

export const redact = (value: unknown, depth = 0): unknown => {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.has(key.toLowerCase()) ? '[REDACTED]' : redact(inner, depth + 1);
  }
  return out;
};

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  service: string;
  level: LogLevel;
  /** Where lines go; stdout by default. Tests pass a collector. */
  write?: (line: string) => void;
  now?: () => Date;
}

export const createLogger = (options: LoggerOptions, base: LogFields = {}): Logger => {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (levelRank[level] < levelRank[options.level]) return;
    const record = {
      level: level.toUpperCase(),
      message,
      timestamp: now().toISOString(),
      service: options.service,
      ...(redact(base) as LogFields),
      ...(redact(fields ?? {}) as LogFields),
    };
    write(JSON.stringify(record));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
};
