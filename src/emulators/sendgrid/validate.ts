/**
 * The checks SendGrid's v3 mail/send applies before accepting a message, with its field paths.
 * Like the real API, every problem found is reported at once.
 */
export interface SendgridErrorItem {
  message: string;
  field: string | null;
  help: string | null;
}

export interface SendgridAddress {
  email: string;
  name?: string;
}

export interface SendgridPersonalization {
  to?: SendgridAddress[];
  cc?: SendgridAddress[];
  bcc?: SendgridAddress[];
  subject?: string;
  headers?: Record<string, string>;
  custom_args?: Record<string, string>;
}

export interface SendgridMailBody {
  personalizations?: SendgridPersonalization[];
  from?: SendgridAddress;
  subject?: string;
  content?: Array<{ type?: string; value?: string }>;
  template_id?: string;
  headers?: Record<string, string>;
  categories?: string[];
  custom_args?: Record<string, string>;
  mail_settings?: { sandbox_mode?: { enable?: boolean } };
}

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
// Headers SendGrid sets itself and refuses in `headers`.
const RESERVED_HEADERS = new Set([
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
]);

export function validateMailBody(b: SendgridMailBody): SendgridErrorItem[] {
  const errors: SendgridErrorItem[] = [];
  const add = (field: string | null, message: string, anchor: string): void => {
    errors.push({ message, field, help: `${HELP}#${anchor}` });
  };

  const ps = b.personalizations;
  if (!Array.isArray(ps) || ps.length === 0) {
    add('personalizations', 'The personalizations field is required and must have at least one personalization.', 'message.personalizations');
  } else {
    ps.forEach((p, i) => {
      if (!Array.isArray(p.to) || p.to.length === 0) {
        add(
          `personalizations.${i}.to`,
          'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          'message.personalizations.to',
        );
      } else {
        p.to.forEach((t, j) => {
          if (!t || typeof t.email !== 'string' || !EMAIL.test(t.email)) {
            add(`personalizations.${i}.to.${j}.email`, 'Does not contain a valid address.', 'message.personalizations.to');
          }
        });
      }
      for (const [k, v] of Object.entries(p.custom_args ?? {})) {
        if (typeof v !== 'string') add(`personalizations.${i}.custom_args.${k}`, 'Custom args values must be strings.', 'message.custom_args');
      }
    });
  }

  if (!b.from || typeof b.from.email !== 'string' || !b.from.email) {
    add(
      'from.email',
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.',
      'message.from',
    );
  } else if (!EMAIL.test(b.from.email)) {
    add('from.email', 'The from email does not contain a valid address.', 'message.from');
  }

  const everySubject = Array.isArray(ps) && ps.length > 0 && ps.every((p) => typeof p.subject === 'string' && p.subject);
  if (!b.template_id && !everySubject && (typeof b.subject !== 'string' || !b.subject)) {
    add(
      'subject',
      'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
      'message.subject',
    );
  }

  const content = b.content;
  if (!b.template_id && (!Array.isArray(content) || content.length === 0)) {
    add(
      'content',
      'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
      'message.content',
    );
  } else if (Array.isArray(content)) {
    content.forEach((c, i) => {
      if (typeof c.type !== 'string' || !c.type) add(`content.${i}.type`, 'The content type cannot contain ";", or CRLF characters, and must be at least one character in length.', 'message.content.type');
      if (typeof c.value !== 'string' || !c.value) add(`content.${i}.value`, 'The content value must be a string at least one character in length.', 'message.content.value');
    });
    const types = content.map((c) => c.type);
    const plain = types.indexOf('text/plain');
    const html = types.indexOf('text/html');
    if ((plain > 0) || (html >= 0 && plain > html)) {
      add('content', 'If present, text/plain and text/html may only be provided in the order of text/plain first, then text/html.', 'message.content');
    }
  }

  for (const name of Object.keys(b.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) add('headers', `The header ${name} is reserved and cannot be set.`, 'message.headers');
  }
  if (b.categories && (!Array.isArray(b.categories) || b.categories.length > 10)) {
    add('categories', 'You can have up to 10 categories per request.', 'message.categories');
  }
  return errors;
}
