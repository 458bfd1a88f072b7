import { AppError } from '../../shared/platform/errors';

/**
 * The purpose staff state before revealing personal data or exporting (PIPL expects one): a
 * reason or a ticket number, kept in the audit row's detail. Required, short, one line; refused
 * with its own code so the page can ask for it in the staff's language.
 */
export function requirePurpose(value: unknown): string {
  const v = typeof value === 'string' ? value.trim() : '';
  if (v.length < 2 || v.length > 200 || /[\r\n]/.test(v))
    throw new AppError(
      'purpose_required',
      400,
      'state a purpose (a reason or ticket number, 2–200 characters, one line)',
    );
  return v;
}
