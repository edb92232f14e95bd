// Every text the sign-in pages show, in one place so they can be translated.
export interface Messages {
  loginTitle: string;
  loginLead(client: string): string;
  loginLabel: string;
  passwordLabel: string;
  signIn: string;
  invalidCredentials: string;
  privacyPolicy: string;
  termsOfService: string;
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
  logoutTitle: string;
  logoutLead: string;
  logoutLeadClient(client: string): string;
  logoutConfirm: string;
  logoutCancel: string;
  loggedOutTitle: string;
  loggedOutLead: string;
  loggedOutLeadClient(client: string): string;
  scopeDescriptions: Record<string, string>;
}

export const en: Messages = {
  loginTitle: 'Sign in',
  loginLead: (client) => `to continue to ${client}`,
  loginLabel: 'Username or email',
  passwordLabel: 'Password',
  signIn: 'Sign in',
  invalidCredentials: 'Invalid username or password',
  privacyPolicy: 'Privacy policy',
  termsOfService: 'Terms of service',
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
  logoutTitle: 'Sign out?',
  logoutLead: 'Do you want to sign out?',
  logoutLeadClient: (client) => `${client} asks you to sign out. Do you want to sign out?`,
  logoutConfirm: 'Yes, sign me out',
  logoutCancel: 'No, stay signed in',
  loggedOutTitle: 'You are signed out',
  loggedOutLead: 'You have been signed out. You can close this window.',
  loggedOutLeadClient: (client) => `You have been signed out of ${client}. You can close this window.`,
  scopeDescriptions: {
    openid: 'Confirm your identity',
    profile: 'See your name and basic profile',
    email: 'See your email address',
    address: 'See your postal address',
    phone: 'See your phone number',
    offline_access: 'Stay connected when you are not using it',
  },
};
