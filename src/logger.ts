import winston from 'winston';

export type Logger = winston.Logger;

/** Structured JSON logger. Never give it resource bodies or tokens. */
export function createLogger(level: string): Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
