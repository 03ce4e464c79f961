/**
 * The words Herald itself puts in front of end users: the email footer and the preference page
 * (`/u/{token}`). Chosen by the user's locale: exact tag, then language, then English.
 */
export interface ConsentStrings {
  /** The `lang` attribute of the page. */
  lang: string;
  footerHtml: string;
  footerText: string;
  title: string;
  intro: string;
  channels: string;
  categories: string;
  push: string;
  sms: string;
  email: string;
  save: string;
  saved: string;
  invalidTitle: string;
  invalidBody: string;
}

const en: ConsentStrings = {
  lang: 'en',
  footerHtml: 'Unsubscribe or manage your email preferences',
  footerText: 'Unsubscribe or manage your email preferences:',
  title: 'Notification preferences',
  intro: 'Choose how and about what we may contact you. Unchecked means you will not receive it.',
  channels: 'Channels',
  categories: 'Topics',
  push: 'Push notifications',
  sms: 'Text messages (SMS)',
  email: 'Email',
  save: 'Save preferences',
  saved: 'Your preferences have been saved.',
  invalidTitle: 'Link not valid',
  invalidBody: 'This link is not valid. Please use the link from your most recent email.',
};

const de: ConsentStrings = {
  lang: 'de',
  footerHtml: 'Abmelden oder E-Mail-Einstellungen verwalten',
  footerText: 'Abmelden oder E-Mail-Einstellungen verwalten:',
  title: 'Benachrichtigungseinstellungen',
  intro: 'Wählen Sie, wie und worüber wir Sie kontaktieren dürfen. Nicht angehakt bedeutet: Sie erhalten es nicht.',
  channels: 'Kanäle',
  categories: 'Themen',
  push: 'Push-Benachrichtigungen',
  sms: 'Textnachrichten (SMS)',
  email: 'E-Mail',
  save: 'Einstellungen speichern',
  saved: 'Ihre Einstellungen wurden gespeichert.',
  invalidTitle: 'Ungültiger Link',
  invalidBody: 'Dieser Link ist ungültig. Bitte verwenden Sie den Link aus Ihrer neuesten E-Mail.',
};

const fr: ConsentStrings = {
  lang: 'fr',
  footerHtml: 'Se désabonner ou gérer vos préférences e-mail',
  footerText: 'Se désabonner ou gérer vos préférences e-mail :',
  title: 'Préférences de notification',
  intro: 'Choisissez comment et à quel sujet nous pouvons vous contacter. Non coché signifie que vous ne le recevrez pas.',
  channels: 'Canaux',
  categories: 'Sujets',
  push: 'Notifications push',
  sms: 'Messages texte (SMS)',
  email: 'E-mail',
  save: 'Enregistrer les préférences',
  saved: 'Vos préférences ont été enregistrées.',
  invalidTitle: 'Lien non valide',
  invalidBody: "Ce lien n'est pas valide. Veuillez utiliser le lien de votre e-mail le plus récent.",
};

const es: ConsentStrings = {
  lang: 'es',
  footerHtml: 'Darse de baja o gestionar tus preferencias de correo',
  footerText: 'Darse de baja o gestionar tus preferencias de correo:',
  title: 'Preferencias de notificaciones',
  intro: 'Elige cómo y sobre qué podemos contactarte. Si no está marcado, no lo recibirás.',
  channels: 'Canales',
  categories: 'Temas',
  push: 'Notificaciones push',
  sms: 'Mensajes de texto (SMS)',
  email: 'Correo electrónico',
  save: 'Guardar preferencias',
  saved: 'Tus preferencias se han guardado.',
  invalidTitle: 'Enlace no válido',
  invalidBody: 'Este enlace no es válido. Usa el enlace de tu correo más reciente.',
};

const ko: ConsentStrings = {
  lang: 'ko',
  footerHtml: '수신 거부 또는 이메일 설정 관리',
  footerText: '수신 거부 또는 이메일 설정 관리:',
  title: '알림 설정',
  intro: '연락 방법과 주제를 선택하세요. 선택하지 않은 항목은 받지 않습니다.',
  channels: '채널',
  categories: '주제',
  push: '푸시 알림',
  sms: '문자 메시지(SMS)',
  email: '이메일',
  save: '설정 저장',
  saved: '설정이 저장되었습니다.',
  invalidTitle: '유효하지 않은 링크',
  invalidBody: '이 링크는 유효하지 않습니다. 가장 최근 이메일의 링크를 사용하세요.',
};

const ptBR: ConsentStrings = {
  lang: 'pt-BR',
  footerHtml: 'Cancelar inscrição ou gerenciar suas preferências de e-mail',
  footerText: 'Cancelar inscrição ou gerenciar suas preferências de e-mail:',
  title: 'Preferências de notificação',
  intro: 'Escolha como e sobre o que podemos entrar em contato. Desmarcado significa que você não receberá.',
  channels: 'Canais',
  categories: 'Assuntos',
  push: 'Notificações push',
  sms: 'Mensagens de texto (SMS)',
  email: 'E-mail',
  save: 'Salvar preferências',
  saved: 'Suas preferências foram salvas.',
  invalidTitle: 'Link inválido',
  invalidBody: 'Este link não é válido. Use o link do seu e-mail mais recente.',
};

export const CONSENT_LOCALES: Record<string, ConsentStrings> = { en, de, fr, es, ko, 'pt-BR': ptBR };

/** Exact tag (case and `_` forgiven), then the language alone, then English. */
export function consentStrings(locale: string | null | undefined): ConsentStrings {
  if (!locale) return en;
  const want = locale.replace(/_/g, '-').toLowerCase();
  const tags = Object.keys(CONSENT_LOCALES);
  const exact = tags.find((t) => t.toLowerCase() === want);
  if (exact) return CONSENT_LOCALES[exact];
  const lang = want.split('-')[0];
  const byLang = tags.find((t) => t.toLowerCase().split('-')[0] === lang);
  return byLang ? CONSENT_LOCALES[byLang] : en;
}
