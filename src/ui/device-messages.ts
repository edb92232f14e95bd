// The texts of the device sign-in pages (RFC 8628): entering the code shown on a TV or in a
// terminal, confirming the device, and the result. Kept apart from messages.ts (the sign-in pages).
export interface DeviceMessages {
  enterTitle: string;
  enterLead: string;
  codeLabel: string;
  codeHint: string;
  continue: string;
  wrongCode: string;
  expiredCode: string;
  usedCode: string;
  tooManyAttempts: string;
  aborted: string;
  failed: string;
  confirmTitle: string;
  confirmLead(client: string): string;
  confirmCheck: string;
  confirm: string;
  abort: string;
  doneTitle: string;
  doneLead(client: string): string;
}

export const deviceEn: DeviceMessages = {
  enterTitle: 'Connect a device',
  enterLead: 'Enter the code shown on your device.',
  codeLabel: 'Device code',
  codeHint: 'Eight letters, for example BCDF-GHJK.',
  continue: 'Continue',
  wrongCode: 'That code is not valid. Check the code on your device and try again.',
  expiredCode: 'That code has expired. Start again on your device to get a new code.',
  usedCode: 'That code was already used. Start again on your device to get a new code.',
  tooManyAttempts: 'Too many wrong codes. Wait a few minutes, then try again.',
  aborted: 'The sign-in on the device was cancelled.',
  failed: 'The code could not be checked. Please try again.',
  confirmTitle: 'Is this your device?',
  confirmLead: (client) => `${client} wants to sign in on a device showing this code:`,
  confirmCheck: 'Continue only if the same code is shown on the device in front of you and you started this sign-in yourself.',
  confirm: 'Yes, continue',
  abort: 'No, cancel',
  doneTitle: 'Device connected',
  doneLead: (client) => `You are signed in to ${client} on your device. You can close this window.`,
};

export const deviceDe: DeviceMessages = {
  enterTitle: 'Gerät verbinden',
  enterLead: 'Geben Sie den Code ein, den Ihr Gerät anzeigt.',
  codeLabel: 'Gerätecode',
  codeHint: 'Acht Buchstaben, zum Beispiel BCDF-GHJK.',
  continue: 'Weiter',
  wrongCode: 'Dieser Code ist nicht gültig. Prüfen Sie den Code auf Ihrem Gerät und versuchen Sie es erneut.',
  expiredCode: 'Dieser Code ist abgelaufen. Starten Sie auf Ihrem Gerät neu, um einen neuen Code zu erhalten.',
  usedCode: 'Dieser Code wurde bereits verwendet. Starten Sie auf Ihrem Gerät neu, um einen neuen Code zu erhalten.',
  tooManyAttempts: 'Zu viele falsche Codes. Warten Sie einige Minuten und versuchen Sie es dann erneut.',
  aborted: 'Die Anmeldung auf dem Gerät wurde abgebrochen.',
  failed: 'Der Code konnte nicht geprüft werden. Bitte versuchen Sie es erneut.',
  confirmTitle: 'Ist das Ihr Gerät?',
  confirmLead: (client) => `${client} möchte Sie auf einem Gerät anmelden, das diesen Code anzeigt:`,
  confirmCheck: 'Fahren Sie nur fort, wenn das Gerät vor Ihnen denselben Code anzeigt und Sie diese Anmeldung selbst begonnen haben.',
  confirm: 'Ja, weiter',
  abort: 'Nein, abbrechen',
  doneTitle: 'Gerät verbunden',
  doneLead: (client) => `Sie sind auf Ihrem Gerät bei ${client} angemeldet. Sie können dieses Fenster schließen.`,
};

/** The device texts in the language of the page's other texts (Messages.locale). */
export function deviceMessagesFor(locale: string): DeviceMessages {
  return locale === 'de' ? deviceDe : deviceEn;
}
