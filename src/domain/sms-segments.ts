/**
 * GSM 03.38 default alphabet rules: which text can go as 7-bit GSM, and how a carrier cuts a
 * message into concatenated parts. The adapter needs the first (Vonage garbles non-GSM text
 * unless told `type=unicode`); the emulators need both to answer one entry per part.
 */

// The basic table minus ESC (0x1B), which only introduces the extension table.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// Characters reached through ESC: each costs two septets.
const EXTENSION = '^{}\\[~]|€\f';

const basicSet = new Set(BASIC);
const extensionSet = new Set(EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!basicSet.has(ch) && !extensionSet.has(ch)) return false;
  return true;
}

/**
 * The parts a carrier sends: one part up to 160 septets / 70 UCS-2 units, otherwise parts of
 * 153 / 67 (the concatenation header takes the rest). An escape pair or a surrogate pair is
 * never split across parts, as handsets would render garbage. `encoding` forces UCS-2 for text
 * that would fit GSM-7 (what a sender asking for unicode gets).
 */
export function splitSms(text: string, encoding: SmsEncoding = isGsm7(text) ? 'GSM-7' : 'UCS-2'): { encoding: SmsEncoding; parts: string[] } {
  const gsm = encoding === 'GSM-7';
  const cost = (ch: string): number => (gsm ? (extensionSet.has(ch) ? 2 : 1) : ch.length);
  let units = 0;
  for (const ch of text) units += cost(ch);
  if (units <= (gsm ? 160 : 70)) return { encoding, parts: [text] };
  const per = gsm ? 153 : 67;
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of text) {
    if (used + cost(ch) > per) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += cost(ch);
  }
  if (current) parts.push(current);
  return { encoding, parts };
}
