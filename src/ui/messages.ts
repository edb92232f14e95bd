// Every text the sign-in and account pages show, in one place so they can be translated. English is
// the reference; other languages live beside it (messages-de.ts) and are picked by locales.ts.
export interface Messages {
  /** The language tag this catalogue is written in (the pages' lang attribute). */
  locale: string;
  loginTitle: string;
  loginLead(client: string): string;
  loginLabel: string;
  passwordLabel: string;
  signIn: string;
  invalidCredentials: string;
  tooManyAttempts(minutes: number): string;
  privacyPolicy: string;
  termsOfService: string;
  totpTitle: string;
  totpLead: string;
  totpLabel: string;
  totpHint: string;
  verify: string;
  invalidCode: string;
  consentTitle: string;
  consentLead(client: string): string;
  consentApis: string;
  clientUnverified: string;
  allow: string;
  deny: string;
  errorTitle: string;
  errorCode: string;
  errorBack: string;
  errorGeneric: string;
  errorExpired: string;
  errorForm: string;
  errorUnavailable: string;
  logoutTitle: string;
  logoutLead: string;
  logoutLeadClient(client: string): string;
  logoutConfirm: string;
  logoutCancel: string;
  loggedOutTitle: string;
  loggedOutLead: string;
  loggedOutLeadClient(client: string): string;
  accountTitle: string;
  accountLead(name: string): string;
  accountSignOut: string;
  appsTitle: string;
  appsEmpty: string;
  appsGranted(date: string): string;
  revokeAccess: string;
  accessRevoked(client: string): string;
  sessionsTitle: string;
  sessionThisBrowser: string;
  sessionOther: string;
  sessionSignedIn(date: string): string;
  sessionApps(apps: string): string;
  signOutEverywhere: string;
  signOutEverywhereLead: string;
  signOutEverywherePassword: string;
  sessionEnd: string;
  sessionEndPassword: string;
  sessionEnded: string;
  sessionGone: string;
  passwordTitle: string;
  currentPasswordLabel: string;
  newPasswordLabel: string;
  newPasswordHint: string;
  changePassword: string;
  passwordChanged: string;
  currentPasswordWrong: string;
  passwordTooShort(min: number): string;
  passwordTooLong(max: number): string;
  passwordCommon: string;
  passwordContext: string;
  twoStepTitle: string;
  twoStepOff: string;
  twoStepOn: string;
  twoStepSetUp: string;
  twoStepScan: string;
  twoStepKey: string;
  twoStepPassword: string;
  twoStepConfirm: string;
  twoStepEnabled: string;
  twoStepDisable: string;
  twoStepDisabled: string;
  twoStepDisableLead: string;
  recoveryTitle: string;
  recoveryLead: string;
  recoveryLeft(count: number): string;
  backToAccount: string;
  scopeDescriptions: Record<string, string>;
}

export const en: Messages = {
  locale: 'en',
  loginTitle: 'Sign in',
  loginLead: (client) => `to continue to ${client}`,
  loginLabel: 'Username or email',
  passwordLabel: 'Password',
  signIn: 'Sign in',
  invalidCredentials: 'Invalid username or password',
  tooManyAttempts: (minutes) => `Too many attempts. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`,
  privacyPolicy: 'Privacy policy',
  termsOfService: 'Terms of service',
  totpTitle: 'Two-step sign-in',
  totpLead: 'Enter the 6-digit code from your authenticator app.',
  totpLabel: 'Authentication code',
  totpHint: 'Lost your device? Enter one of your recovery codes instead.',
  verify: 'Verify',
  invalidCode: 'That code is not valid. Please try again.',
  consentTitle: 'Allow access?',
  consentLead: (client) => `${client} is asking for permission to:`,
  consentApis: 'It will be able to call:',
  clientUnverified: 'This application registered itself: the operator of this service has not verified it. Allow access only if you trust it.',
  allow: 'Allow',
  deny: 'Deny',
  errorTitle: 'Something went wrong',
  errorCode: 'Error',
  errorBack: 'Start again',
  errorGeneric: 'The request could not be completed.',
  errorExpired: 'This sign-in page has expired or was already used. Please go back to the application and try again.',
  errorForm: 'This form has expired. Please go back and try again.',
  errorUnavailable: 'Signing in is temporarily unavailable. Please try again in a moment.',
  logoutTitle: 'Sign out?',
  logoutLead: 'Do you want to sign out?',
  logoutLeadClient: (client) => `${client} asks you to sign out. Do you want to sign out?`,
  logoutConfirm: 'Yes, sign me out',
  logoutCancel: 'No, stay signed in',
  loggedOutTitle: 'You are signed out',
  loggedOutLead: 'You have been signed out. You can close this window.',
  loggedOutLeadClient: (client) => `You have been signed out of ${client}. You can close this window.`,
  accountTitle: 'Your account',
  accountLead: (name) => `Signed in as ${name}`,
  accountSignOut: 'Sign out',
  appsTitle: 'Apps with access',
  appsEmpty: 'No app has access to your account.',
  appsGranted: (date) => `Allowed on ${date}`,
  revokeAccess: 'Revoke access',
  accessRevoked: (client) => `${client} no longer has access to your account.`,
  sessionsTitle: 'Where you are signed in',
  sessionThisBrowser: 'This browser',
  sessionOther: 'Another browser or device',
  sessionSignedIn: (date) => `Signed in on ${date}`,
  sessionApps: (apps) => `Used by ${apps}`,
  signOutEverywhere: 'Sign out everywhere',
  signOutEverywhereLead: 'Ends every session, including this one.',
  signOutEverywherePassword: 'Enter your password to sign out everywhere.',
  sessionEnd: 'Sign out',
  sessionEndPassword: 'Your password, to sign it out',
  sessionEnded: 'That browser or device is now signed out.',
  sessionGone: 'That browser or device was already signed out.',
  passwordTitle: 'Password',
  currentPasswordLabel: 'Current password',
  newPasswordLabel: 'New password',
  newPasswordHint: 'At least 8 characters. Long passphrases are welcome.',
  changePassword: 'Change password',
  passwordChanged: 'Your password was changed. You were signed out everywhere else.',
  currentPasswordWrong: 'The current password is not correct.',
  passwordTooShort: (min) => `The new password must have at least ${min} characters.`,
  passwordTooLong: (max) => `The new password must have at most ${max} characters.`,
  passwordCommon: 'This password is too common. Please choose another one.',
  passwordContext: 'This password is built on your name, your email address or the name of this service. Please choose another one.',
  twoStepTitle: 'Two-step sign-in',
  twoStepOff: 'Add a second step to your sign-in with an authenticator app.',
  twoStepOn: 'Two-step sign-in is on: signing in asks for a code from your authenticator app.',
  twoStepSetUp: 'Set up two-step sign-in',
  twoStepScan: 'Scan this QR code with your authenticator app, then enter the 6-digit code it shows.',
  twoStepKey: 'Cannot scan? Enter this key:',
  twoStepPassword: 'Your password',
  twoStepConfirm: 'Turn on',
  twoStepEnabled: 'Two-step sign-in is now on.',
  twoStepDisable: 'Turn off two-step sign-in',
  twoStepDisabled: 'Two-step sign-in is now off.',
  twoStepDisableLead: 'Enter your password to turn off two-step sign-in.',
  recoveryTitle: 'Your recovery codes',
  recoveryLead: 'Keep these codes somewhere safe. Each one signs you in once if you lose your device. They are shown only now.',
  recoveryLeft: (count) => `${count} recovery code${count === 1 ? '' : 's'} left.`,
  backToAccount: 'Back to your account',
  scopeDescriptions: {
    openid: 'Confirm your identity',
    profile: 'See your name and basic profile',
    email: 'See your email address',
    address: 'See your postal address',
    phone: 'See your phone number',
    offline_access: 'Stay connected when you are not using it',
  },
};
