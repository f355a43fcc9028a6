// Watches one board's channel and lists its events. The same JSON messages arrive over both
// transports: {"type":"subscribed"|"event"|"error", ...} (see the realtime service's JsonMessages).
"use strict";

const form = document.getElementById("watch");
const status = document.getElementById("status");
const list = document.getElementById("events");
let lastPosition = null; // resume point: the last event shown
let stop = () => {};

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function describe(event) {
  const [kind, body] = Object.entries(event).find(([key]) => key.endsWith("Created") || key.endsWith("Updated")
    || key.endsWith("Moved") || key.endsWith("Deleted")) ?? ["event", {}];
  const subject = body.card?.title ?? body.column?.name ?? body.board?.name ?? body.cardId ?? body.columnId ?? body.boardId ?? "";
  return `${kind.replace(/([A-Z])/g, " $1").toLowerCase()}: ${subject}`;
}

function onMessage(text) {
  const message = JSON.parse(text);
  if (message.type === "subscribed") {
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
    setStatus("closed", `Stopped: ${message.message}`);
  }
}

function watchWebSocket(channel) {
  let closedByUs = false;
  let socket;
  const connect = () => {
    const after = lastPosition === null ? "" : `&after=${lastPosition}`;
    socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}/ws?channel=${channel}${after}`);
    socket.onmessage = (e) => onMessage(e.data);
    socket.onclose = (e) => {
      if (closedByUs) return;
      if (e.code === 4410) { setStatus("closed", `Stopped: ${e.reason}`); return; }
      setStatus("reconnecting", `Disconnected (${e.code}); resuming…`);
      setTimeout(connect, 1000);
    };
  };
  connect();
  return () => { closedByUs = true; socket.close(); };
}

function watchSse(channel) {
  // EventSource reconnects by itself and sends Last-Event-ID: the server resumes from it.
  const after = lastPosition === null ? "" : `&after=${lastPosition}`;
  const source = new EventSource(`/sse?channel=${channel}${after}`);
  source.onmessage = (e) => {
    onMessage(e.data);
    if (JSON.parse(e.data).type === "error") source.close();
  };
  source.onerror = () => setStatus("reconnecting", "Disconnected; resuming…");
  return () => source.close();
}

function watch(board, transport) {
  stop();
  list.replaceChildren();
  lastPosition = null;
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

// ?board=…&transport=ws|sse starts watching at once.
const params = new URLSearchParams(location.search);
if (params.get("board")) {
  form.board.value = params.get("board");
  form.transport.value = params.get("transport") === "sse" ? "sse" : "ws";
  watch(params.get("board"), form.transport.value);
}
