/**
 * The API's error envelope: `{"error":{"code","message","field?"}}`. Every refusal the API makes is an
 * ApiError; docs/errors.md lists the codes with how to solve them.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export const badRequest = (code: string, message: string, field?: string) => new ApiError(400, code, message, field);
export const notFound = (code: string, message: string, field?: string) => new ApiError(404, code, message, field);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
