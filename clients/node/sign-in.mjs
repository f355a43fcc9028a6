// Signs in at crud's token server as a service (client credentials) and returns the gRPC
// metadata that carries the access token: for crud with the "boards" scope, for realtime with
// "events" (a board's members) or "events.all" (services); one token can hold several. Who: POLYGLOT_CLIENT_ID (default polyglot-dev, the app
// host's development client) and POLYGLOT_CLIENT_SECRET (its secret is the dashboard's
// dev-client-secret parameter); where: POLYGLOT_CRUD_HTTP (default http://localhost:5100).
import grpc from "@grpc/grpc-js";

export async function signIn(scope = "boards") {
  const secret = process.env.POLYGLOT_CLIENT_SECRET;
  if (!secret) {
    throw new Error("POLYGLOT_CLIENT_SECRET is not set: crud takes only signed-in callers (README, \"Call it\").");
  }
  const response = await fetch(new URL("/connect/token", process.env.POLYGLOT_CRUD_HTTP ?? "http://localhost:5100"), {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: process.env.POLYGLOT_CLIENT_ID ?? "polyglot-dev",
      client_secret: secret,
      scope,
    }),
  });
  if (!response.ok) {
    // An OAuth error is JSON naming the problem; a proxy's error page is not.
    const text = await response.text();
    let reason = text;
    try {
      const error = JSON.parse(text);
      reason = `${error.error}: ${error.error_description}`;
    } catch {}
    throw new Error(`crud gave no token: ${response.status} ${reason}`);
  }
  const reply = await response.json();
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${reply.access_token}`);
  return metadata;
}
