import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';

const collect = (level: 'debug' | 'info' | 'warn' | 'error' = 'info') => {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { lines, logger };
};

describe('logger', () => {
  it('writes one JSON object per line with the base fields', () => {
    const { lines, logger } = collect();
    logger.child({ requestId: 'r1' }).info('hello', { n: 1 });
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'INFO',
      message: 'hello',
      timestamp: '2026-01-01T00:00:00.000Z',
      service: 'test',
      requestId: 'r1',
      n: 1,
    });
  });

  it('redacts secret-bearing fields at any depth, whatever their case', () => {
    const { lines, logger } = collect();
    logger.info('x', {
      passCode: '123456',
      nested: {
        StateToken: 'st-abc',
        list: [{ phoneNumber: '+447700900123' }],
        email: 'a@b.example',
      },
      secret: 'JBSWY3DPEHPK3PXP',
      headers: { Authorization: 'Basic ZGVtbzpkZW1vLXNlY3JldA==' },
    });
    const line = lines[0] ?? '';
    for (const leaked of [
      '123456',
      'st-abc',
      '+447700900123',
      'a@b.example',
      'JBSWY3DPEHPK3PXP',
      'ZGVtbzpk',
    ]) {
      expect(line).not.toContain(leaked);
    }
    expect(line).toContain('[REDACTED]');
  });

  it('logs errors by name and message only', () => {
    const { lines, logger } = collect();
    logger.error('boom', { error: new TypeError('bad thing') });
    expect(JSON.parse(lines[0] ?? '').error).toEqual({ name: 'TypeError', message: 'bad thing' });
  });

  it('scrubs email addresses and phone numbers out of error messages', () => {
    const { lines, logger } = collect();
    logger.error('send failed', {
      error: new Error('Email address is not verified: bob@example.com; to +44 7700 900123'),
    });
    const line = lines[0] ?? '';
    expect(line).not.toContain('bob@example.com');
    expect(line).not.toContain('7700 900123');
    expect(line).toContain('Email address is not verified');
  });

  it('drops lines below the level', () => {
    const { lines, logger } = collect('warn');
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['loud']);
  });
});
