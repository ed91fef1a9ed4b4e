/** The SMART client id the portal signs in with (registered by the authorization server for `/portal/callback`). */
export const PORTAL_CLIENT_ID = 'dmp-portal';
