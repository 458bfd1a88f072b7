import Transport from 'winston-transport';
import { logger } from '../../src/shared/logger';

/** Captures every log line (as the JSON the console would get) while a test runs. */
export function captureLogs(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const previous = logger.level;
  logger.level = 'debug';
  const transport = new (class extends Transport {
    override log(info: Record<string | symbol, unknown>, next: () => void) {
      lines.push(String(info[Symbol.for('message')] ?? JSON.stringify(info)));
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
