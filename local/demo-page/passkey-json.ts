/**
 * The JSON forms of WebAuthn the service speaks (buffers as base64url): options in, credentials
 * out. The browser's own `parse…FromJSON` and `toJSON()` when it has them, else these helpers.
 */

type Json = Readonly<Record<string, unknown>>;

export const fromBase64url = (text: string): ArrayBuffer => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
};

export const toBase64url = (bytes: ArrayBuffer | ArrayBufferView): string => {
  const view =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let binary = '';
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

type Descriptor = { readonly type: 'public-key'; readonly id: string; transports?: string[] };
const descriptors = (list: unknown) =>
  (list as Descriptor[] | undefined)?.map((d) => ({ ...d, id: fromBase64url(d.id) })) as
    | PublicKeyCredentialDescriptor[]
    | undefined;

/** `activation.publicKey` of an enrollment, for `navigator.credentials.create()`. */
export const creationOptions = (json: Json): PublicKeyCredentialCreationOptions => {
  const options = json as unknown as PublicKeyCredentialCreationOptionsJSON;
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(options);
  }
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  };
};

/** `publicKey` of a challenge, for `navigator.credentials.get()`. */
export const requestOptions = (json: Json): PublicKeyCredentialRequestOptions => {
  const options = json as unknown as PublicKeyCredentialRequestOptionsJSON;
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(options);
  }
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: fromBase64url(options.challenge),
    allowCredentials: descriptors(options.allowCredentials),
  };
};

/** The response buffers of a credential a browser without `toJSON()` made, base64url. */
const responseJson = (response: AuthenticatorResponse): Record<string, unknown> => {
  const json: Record<string, unknown> = { clientDataJSON: toBase64url(response.clientDataJSON) };
  if (response instanceof AuthenticatorAttestationResponse) {
    json.attestationObject = toBase64url(response.attestationObject);
    json.transports = response.getTransports?.() ?? [];
  } else if (response instanceof AuthenticatorAssertionResponse) {
    json.authenticatorData = toBase64url(response.authenticatorData);
    json.signature = toBase64url(response.signature);
    if (response.userHandle) json.userHandle = toBase64url(response.userHandle);
  }
  return json;
};

/**
 * RegistrationResponseJSON or AuthenticationResponseJSON of a credential from
 * `navigator.credentials.create()`/`get()`, or of an SPC `PaymentResponse.details`.
 */
export const credentialJson = (credential: PublicKeyCredential): Json => {
  if (typeof credential.toJSON === 'function') return credential.toJSON() as Json;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: responseJson(credential.response),
    clientExtensionResults: credential.getClientExtensionResults(),
  };
};
