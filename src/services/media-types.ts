// Media types and header names (Nexus reference §1.1, §1.3, §1.4).

/** Nexus `Content-Type` and `Accept` (§1.1). */
export const NEXUS_MEDIA_TYPE = 'application/vnd.mx.nexus.v1+json'
/** SSO `Accept` (§1.3). */
export const SSO_MEDIA_TYPE = 'application/vnd.moneydesktop.sso.v3+json'
/** MDX Real Time `Content-Type` and `Accept` (§1.1, observed). */
export const MDX_MEDIA_TYPE = 'application/vnd.moneydesktop.mdx.v5+json'
