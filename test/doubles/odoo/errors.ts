// The exceptions the double raises, named and serialised as Odoo names and serialises them
// (odoo/http.py serialize_exception), with the HTTP status JSON-2 answers each with (exc.http_status).

/** An exception as Odoo would raise it: its Python class path, message and, for JSON-2, its HTTP status. */
export class OdooFault extends Error {
  constructor(
    /** e.g. odoo.exceptions.UserError, builtins.ValueError, werkzeug.exceptions.NotFound */
    readonly exceptionName: string,
    message: string,
    readonly httpStatus: number,
    /** exception.args; for werkzeug's HTTP exceptions (description, code) */
    readonly args: unknown[] = [message],
  ) {
    super(message);
  }

  /** serialize_exception(exc): what both transports put in an error body */
  serialised(): { name: string; message: string; arguments: unknown[]; context: Record<string, never>; debug: string } {
    return {
      name: this.exceptionName,
      message: this.message,
      arguments: this.args,
      context: {},
      debug: `Traceback (most recent call last):\n  (double)\n${this.exceptionName.split('.').pop()}: ${this.message}\n`,
    };
  }
}

// odoo/exceptions.py: UserError answers 422, AccessError / AccessDenied 403, MissingError 404
export const userError = (message: string) => new OdooFault('odoo.exceptions.UserError', message, 422);
export const validationError = (message: string) => new OdooFault('odoo.exceptions.ValidationError', message, 422);
export const accessError = (message: string) => new OdooFault('odoo.exceptions.AccessError', message, 403);
export const accessDenied = () => new OdooFault('odoo.exceptions.AccessDenied', 'Access Denied', 403);
export const missingError = (model: string, ids: number[]) =>
  new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${model}(${ids.join(', ')}), User: 2)`, 404);
/** what the ORM raises for a name it does not have: a plain ValueError, a 500 on JSON-2 */
export const valueError = (message: string) => new OdooFault('builtins.ValueError', message, 500);
/** a JSON-2 route's own refusals are werkzeug HTTP exceptions: arguments are (description, code) */
export const httpException = (name: 'NotFound' | 'UnprocessableEntity' | 'Unauthorized' | 'BadRequest', status: number, description: string) =>
  new OdooFault(`werkzeug.exceptions.${name}`, description, status, [description, status]);
