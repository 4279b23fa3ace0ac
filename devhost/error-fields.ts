/**
 * What the host logs about a failure: the error's class name and, when present, its machine code
 * (a ServiceError code, a Node system code such as ECONNREFUSED, an Azure SDK code). Never the
 * message: messages can quote input, tokens or connection strings.
 */
export function errorFields(error: unknown): { error: string; code?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const code: unknown = (error as Error & { code?: unknown }).code;
  // Only short identifier-like codes; anything else could be arbitrary text.
  const safeCode = typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
  return safeCode === undefined ? { error: error.name } : { error: error.name, code: safeCode };
}
