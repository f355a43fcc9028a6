// Watches one board's channel and lists its events. The same JSON messages arrive over both
// transports: {"type":"subscribed"|"event"|"error", ...} (see the streaming library's JsonMessages).
// Every ending but "history_lost" and "forbidden" means "reconnect and resume after the last
// position shown"; the codes are the streaming library's Endings. Subscribing needs the signed-in
// visitor's token, sent as access_token: a browser can put no header on either transport.
"use strict";

const form = document.getElementById("watch");
const status = document.getElementById("status");
const list = document.getElementById("events");
// A refused connection looks like a dropped one to a browser (no status): back off, 1 s doubling to 10 s.
let retryDelay = 1000;
const nextRetry = () => {
  const delay = retryDelay;
  retryDelay = Math.min(retryDelay * 2, 10000);
  return delay;
};
// WebSocket close codes, named as the SSE error codes name the same endings.
const closeCodes = { 1001: "draining", 1013: "unavailable", 4403: "forbidden", 4410: "history_lost", 4429: "slow_consumer" };
let lastPosition = null; // resume point: the last event shown, or where the stream started
let stop = () => {};

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

// Each ending is recorded on the status element (data-ends), so an observer can tell a resume from a first connect.
function ended(code, text) {
  status.dataset.ends = `${status.dataset.ends ?? ""} ${code}`.trim();
  if (code === "history_lost" || code === "forbidden") {
    setStatus("closed", `Stopped: ${text}`);
    return false;
  }
  if (signInExpired()) {
    setStatus("closed", "Your sign-in has expired: sign in again to go on watching.");
    showAccount();
    return false;
  }
  // Refused, or dropped (a browser cannot tell which, nor why: a token crud no longer takes, say):
  // the page goes on trying, and offers to sign in again until a stream is taken.
  if (code === "refused" || code === "1006") signInButton.hidden = false;
  setStatus("reconnecting", `Disconnected (${code}); resuming after #${lastPosition ?? "now"}…`);
  return true;
}

function describe(event) {
  const [kind, body] = Object.entries(event).find(([key]) => key.endsWith("Created") || key.endsWith("Updated")
    || key.endsWith("Moved") || key.endsWith("Deleted")) ?? ["event", {}];
  const subject = body.card?.title ?? body.column?.name ?? body.board?.name ?? body.cardId ?? body.columnId ?? body.boardId ?? "";
  return `${kind.replace(/([A-Z])/g, " $1").toLowerCase()}: ${subject}`;
}

// Shows a message; returns the ending's code for an error message.
function onMessage(text) {
  const message = JSON.parse(text);
  if (message.type === "subscribed") {
    retryDelay = 1000;
    signInButton.hidden = true; // taken after all: no need to sign in again
    // Cut off before the first event, the page resumes from where its stream started, not from now.
    lastPosition ??= message.position;
    setStatus("live", `Live on ${message.channel} after position ${message.position}.`);
  } else if (message.type === "event") {
    lastPosition = message.position;
    const item = document.createElement("li");
    const position = document.createElement("span");
    position.className = "position";
    position.textContent = `#${message.position}`;
    item.append(position, describe(message.event));
    list.append(item);
  } else if (message.type === "error") {
    return message;
  }
  return null;
}

const token = () => sessionStorage.getItem("polyglot.token");
const claims = () => JSON.parse(atob(token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
const signInExpired = () => claims().exp * 1000 <= Date.now();
const query = (channel) => `channel=${channel}${lastPosition === null ? "" : `&after=${lastPosition}`}&access_token=${encodeURIComponent(token())}`;

// Each watch returns its stop: after it, nothing of that watch runs again (its pending retry is cancelled),
// so it cannot feed the next board's list.
function watchWebSocket(channel) {
  let stopped = false;
  let socket;
  let retry;
  const connect = () => {
    socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}/ws?${query(channel)}`);
    socket.onmessage = (e) => { if (!stopped) onMessage(e.data); };
    socket.onclose = (e) => {
      if (stopped) return;
      if (ended(closeCodes[e.code] ?? String(e.code), e.reason || "connection lost")) {
        retry = setTimeout(connect, nextRetry());
      }
    };
  };
  connect();
  return () => { stopped = true; clearTimeout(retry); socket.close(); };
}

function watchSse(channel) {
  let stopped = false;
  let source;
  let retry;
  const connect = () => {
    // EventSource retries a dropped connection by itself with Last-Event-ID; after an error
    // message, or a refusal (it then gives up), a new one resumes with after=.
    source = new EventSource(`/sse?${query(channel)}`);
    const reconnect = (code, text) => {
      source.close();
      if (!stopped && ended(code, text)) {
        retry = setTimeout(connect, nextRetry());
      }
    };
    source.onmessage = (e) => {
      if (stopped) return;
      const error = onMessage(e.data);
      if (error) reconnect(error.code, error.message);
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        reconnect("refused", "the server refused the stream");
      } else {
        setStatus("reconnecting", "Disconnected; resuming…");
      }
    };
  };
  connect();
  return () => { stopped = true; clearTimeout(retry); source.close(); };
}

function watch(board, transport) {
  stop();
  list.replaceChildren();
  lastPosition = null;
  delete status.dataset.ends;
  if (!token() || signInExpired()) {
    setStatus("closed", "Sign in to watch a board: only its members see its events.");
    return;
  }
  setStatus("connecting", "Connecting…");
  const channel = encodeURIComponent(`board:${board}`);
  stop = transport === "sse" ? watchSse(channel) : watchWebSocket(channel);
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const board = data.get("board").trim();
  history.replaceState(null, "", `?board=${board}&transport=${data.get("transport")}`);
  watch(board, data.get("transport"));
});

// Sign-in: authorization code with PKCE at crud's token server (/live-config.json says where),
// the token kept for this tab only. Sign-out: OpenID Connect's end session at crud, which forgets
// the visitor, so that the next sign-in on this browser asks for the password again.
const who = document.getElementById("who");
const signInButton = document.getElementById("sign-in");
const signOutButton = document.getElementById("sign-out");
const base64Url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const liveConfig = () => fetch("live-config.json").then((reply) => reply.json());
const redirectUri = () => `${location.origin}/`;

function showAccount() {
  if (!token()) return;
  const expired = signInExpired();
  who.textContent = expired ? "Your sign-in has expired." : `Signed in as ${claims().name ?? claims().sub}.`;
  signInButton.hidden = !expired;
  signOutButton.hidden = false; // expired or not, crud may still know the visitor
}

// As for a sign-in, the page's own query is kept for the way back (the return address is the
// page's root), and the token is forgotten only once crud sends the browser back with the state.
async function signOut() {
  const { authority, clientId } = await liveConfig();
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("polyglot.signing-out", JSON.stringify({ state, back: location.search }));
  location.assign(`${authority}/connect/endsession?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: redirectUri(), state })}`);
}

async function signIn() {
  const { authority, clientId } = await liveConfig();
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("polyglot.pkce", JSON.stringify({ verifier, state, back: location.search }));
  location.assign(`${authority}/connect/authorize?${new URLSearchParams({
    client_id: clientId, response_type: "code", redirect_uri: redirectUri(), scope: "openid profile events",
    code_challenge: challenge, code_challenge_method: "S256", state,
  })}`);
}

// Back from the token server with ?code=&state= (or ?error=&state=): exchange the code, then restore the page's own query.
// False when it failed, saying why.
async function completeSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem("polyglot.pkce") ?? "null");
  sessionStorage.removeItem("polyglot.pkce");
  history.replaceState(null, "", `/${pending?.back ?? ""}`);
  if (!pending || params.get("state") !== pending.state) {
    who.textContent = "Sign-in failed: the reply does not match the request.";
    return false;
  }
  if (params.get("error")) {
    who.textContent = `Sign-in failed: ${params.get("error_description") ?? params.get("error")}`;
    return false;
  }
  const { authority, clientId } = await liveConfig();
  let reply, tokens;
  try {
    reply = await fetch(`${authority}/connect/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code", client_id: clientId, code: params.get("code"),
        redirect_uri: redirectUri(), code_verifier: pending.verifier,
      }),
    });
    tokens = await reply.json();
  } catch {
    who.textContent = "Sign-in failed: crud could not be reached.";
    return false;
  }
  if (!reply.ok) {
    who.textContent = `Sign-in failed: ${tokens.error_description ?? tokens.error}`;
    return false;
  }
  sessionStorage.setItem("polyglot.token", tokens.access_token);
  sessionStorage.setItem("polyglot.token-sign-outs", signOuts());
  return true;
}

signInButton.addEventListener("click", signIn);
signOutButton.addEventListener("click", signOut);
// A sign-out in one tab ends the others' of this page: they share crud's sign-in, and each would
// otherwise watch on with a token of its own until it expired. Those running hear it at once; one
// not running then (reloading, gone back to, restored) sees that the browser's count of sign-outs
// is past the one its token was taken at, and drops it (a count: no clock to trust).
const account = new BroadcastChannel("polyglot.account");
const signOuts = () => localStorage.getItem("polyglot.sign-outs") ?? "0";
if (token() && sessionStorage.getItem("polyglot.token-sign-outs") !== signOuts()) {
  sessionStorage.removeItem("polyglot.token");
}
account.onmessage = (e) => {
  if (e.data !== "signed-out" || !token()) return;
  sessionStorage.removeItem("polyglot.token");
  stop();
  setStatus("closed", "Sign in to watch a board: only its members see its events.");
  who.textContent = "Signed out in another tab.";
  signOutButton.hidden = true;
  signInButton.hidden = false;
};
const signingOut = JSON.parse(sessionStorage.getItem("polyglot.signing-out") ?? "null");
sessionStorage.removeItem("polyglot.signing-out");
const reply = new URLSearchParams(location.search);
const fromSignIn = reply.has("code") || reply.has("error");
if (!fromSignIn && signingOut?.state === reply.get("state")) {
  sessionStorage.removeItem("polyglot.token");
  history.replaceState(null, "", `/${signingOut.back}`);
  who.textContent = "Signed out.";
  localStorage.setItem("polyglot.sign-outs", String(Number(signOuts()) + 1));
  account.postMessage("signed-out");
} else if (!fromSignIn || await completeSignIn(reply)) {
  showAccount();
} else {
  // Not over why a sign-in failed; crud may know the visitor though the page got no token.
  signOutButton.hidden = false;
}

// ?board=…&transport=ws|sse starts watching at once.
const params = new URLSearchParams(location.search);
if (params.get("board")) {
  form.board.value = params.get("board");
  form.transport.value = params.get("transport") === "sse" ? "sse" : "ws";
  watch(params.get("board"), form.transport.value);
}
