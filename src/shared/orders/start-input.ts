import { z } from 'zod';

/**
 * What a verification start accepts from a partner or staff, every field hostile until checked:
 * WeBank's userId is "32位以内,不包含特殊字符"; a name is letters of any script with marks,
 * spaces and · . ' -; an ID number is letters and digits (upper-cased, as WeBank compares them).
 * Messages never echo the value (it may be personal data).
 */
export const startUserId = z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'letters and digits, at most 32');
export const startName = z
  .string()
  .regex(/^[\p{L}\p{M}][\p{L}\p{M} ·.'-]{0,63}$/u, "a name: letters, spaces and · . ' -, at most 64");
export const startIdNo = z
  .string()
  .regex(/^[0-9A-Za-z]{6,32}$/, 'letters and digits, 6 to 32')
  .transform((v) => v.toUpperCase());
export const startMode = z.enum(['auto', 'realtime']);
