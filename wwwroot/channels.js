// The Channels page: copy buttons and WhatsApp Embedded Signup (Meta's JavaScript SDK, loaded only on this page).
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard permission (http, old browser): the text stays selectable on the page
  }
}

// The CSP that allows Meta's SDK is sent only with /channels: a document first loaded on another page cannot load it.
function loadedHere() {
  const entry = performance.getEntriesByType('navigation')[0];
  try { return new URL(entry ? entry.name : location.href).pathname.startsWith('/channels'); } catch { return false; }
}

let sdk = null;
function loadSdk(appId, version) {
  if (sdk) return sdk;
  sdk = new Promise((resolve, reject) => {
    window.fbAsyncInit = () => {
      window.FB.init({ appId, autoLogAppEvents: true, xfbml: false, version });
      resolve(window.FB);
    };
    const script = document.createElement('script');
    script.src = 'https://connect.facebook.net/en_US/sdk.js';
    script.async = true;
    script.crossOrigin = 'anonymous';
    script.onerror = () => { sdk = null; reject(new Error('sdk')); };
    document.head.appendChild(script);
  });
  return sdk;
}

// Launches Embedded Signup and posts the code with the ids from Meta's session message to the server, which exchanges
// the code with the app secret. Answers { status, body } of that post, or { status: 0, body: { problem } } when the
// flow did not finish; 'reload' when this document cannot load the SDK (the page then loads itself fully once).
export async function signup(options) {
  if (!loadedHere()) return { status: -1, body: { problem: 'reload' } };
  let FB;
  try { FB = await loadSdk(options.appId, options.graphVersion); } catch { return { status: 0, body: { problem: 'Unreachable' } }; }

  let session = null;
  const onMessage = (event) => {
    if (!/^https:\/\/([a-z0-9-]+\.)*facebook\.com$/.test(event.origin)) return;
    try {
      const data = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
      if (data && data.type === 'WA_EMBEDDED_SIGNUP' && data.event === 'FINISH') session = data.data;
      if (data && data.type === 'WA_EMBEDDED_SIGNUP' && (data.event === 'CANCEL' || data.event === 'ERROR')) session = { cancelled: true };
    } catch { /* other messages from Facebook's frames */ }
  };
  window.addEventListener('message', onMessage);
  try {
    const code = await new Promise((resolve) => FB.login((response) => resolve(response && response.authResponse ? response.authResponse.code : null), {
      config_id: options.configurationId,
      response_type: 'code',
      override_default_response_type: true,
      extras: { setup: {}, featureType: '', sessionInfoVersion: '3' },
    }));
    // The session message may arrive just after the login callback.
    for (let i = 0; i < 20 && !session && code; i++) await new Promise((r) => setTimeout(r, 100));
    if (!code || !session || session.cancelled || !session.phone_number_id || !session.waba_id) return { status: 0, body: { problem: 'cancelled' } };
    const response = await fetch(options.endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'RequestVerificationToken': options.antiforgery },
      body: JSON.stringify({ code, phoneNumberId: session.phone_number_id, wabaId: session.waba_id }),
    });
    let body = {};
    try { body = await response.json(); } catch { /* empty answer */ }
    return { status: response.status, body };
  } finally {
    window.removeEventListener('message', onMessage);
  }
}
