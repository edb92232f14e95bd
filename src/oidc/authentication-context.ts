// The authentication context classes (acr) Gatehouse asserts in ID tokens: a password alone, or a
// password and a second factor (TOTP or a recovery code). amr (RFC 8176) says which methods.
export const ACR_PASSWORD = 'urn:gatehouse:acr:password';
export const ACR_TWO_STEP = 'urn:gatehouse:acr:two-step';
