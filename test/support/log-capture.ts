import Transport from 'winston-transport';
import { logger } from '../../src/shared/platform/logger';

/** Captures every log line (as the JSON the console would get) while a test runs. */
export function captureLogs(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const previous = logger.level;
  logger.level = 'debug';
  const transport = new (class extends Transport {
    override log(info: Record<string | symbol, unknown>, next: () => void) {
      const message = info[Symbol.for('message')];
      lines.push(typeof message === 'string' ? message : JSON.stringify(info));
      next();
    }
  })();
  logger.add(transport);
  return {
    lines,
    stop: () => {
      logger.remove(transport);
      logger.level = previous;
    },
  };
}
