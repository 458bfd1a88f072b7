/** Staff roles, weakest first; each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** True when `role` is `min` or stronger. */
export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
