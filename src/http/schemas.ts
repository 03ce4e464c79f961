import { Type } from '@sinclair/typebox';

/** Ids users choose (user ids, template keys, event ids): printable, no spaces, no path or quote characters. */
export const IdString = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@+\\-]+$' });
export const UuidString = Type.String({ pattern: '^[0-9a-fA-F-]{36}$' });

export const ErrorEnvelope = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
  { $id: 'Error' },
);

export const Channel = Type.Union([Type.Literal('push'), Type.Literal('sms'), Type.Literal('email')]);
export const Priority = Type.Union([Type.Literal('high'), Type.Literal('normal'), Type.Literal('low')]);

export const PushFields = Type.Object({
  title: Type.Optional(Type.String({ maxLength: 4096 })),
  body: Type.Optional(Type.String({ maxLength: 4096 })),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  // APNs shows the badge as a number on the icon; beyond five digits it is a mistake, not a count.
  badge: Type.Optional(Type.Integer({ minimum: 0, maximum: 99_999 })),
  sound: Type.Optional(Type.String({ maxLength: 256 })),
  image: Type.Optional(Type.String({ maxLength: 2048 })),
  url: Type.Optional(Type.String({ maxLength: 2048 })),
});
export const ContentChannels = Type.Object({
  push: Type.Optional(PushFields),
  web: Type.Optional(PushFields),
  sms: Type.Optional(Type.Object({ text: Type.String({ minLength: 1, maxLength: 1600 }) })),
  email: Type.Optional(
    Type.Object({
      subject: Type.String({ minLength: 1, maxLength: 998 }),
      html: Type.Optional(Type.String({ maxLength: 1_000_000 })),
      text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
    }),
  ),
  // A channel Herald does not have (`fax`) is refused, not stored as content nothing will ever send.
}, { additionalProperties: false });
