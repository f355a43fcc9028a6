// Subscribes to a board's channel on realtime, creates a card on crud, and prints the event
// that comes back over the stream, with the time from the create call to its arrival. A stream
// that ends UNAVAILABLE or RESOURCE_EXHAUSTED is resumed after the last position received, as
// realtime.proto asks of every client (realtime answers UNAVAILABLE while it starts, for one).
// Usage: node create-and-watch.mjs [crud-grpc-address] [realtime-grpc-address]
// It signs in to crud first (sign-in.mjs says with what).
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { signIn } from "./sign-in.mjs";

const crudAddress = process.argv[2] ?? "localhost:5101";
const realtimeAddress = process.argv[3] ?? "localhost:5201";
const protos = fileURLToPath(new URL("../../contracts/protos", import.meta.url));
const googleApi = fileURLToPath(new URL("../../contracts/third_party", import.meta.url)); // google/api, for the REST rules

const definition = protoLoader.loadSync(["boards/v1/boards.proto", "realtime/v1/realtime.proto"], {
  includeDirs: [protos, googleApi],
  longs: String,
  defaults: true,
  oneofs: true,
});
const { boards, realtime } = grpc.loadPackageDefinition(definition).polyglot;
const insecure = grpc.credentials.createInsecure();
const boardsClient = new boards.v1.Boards(crudAddress, insecure);
const columnsClient = new boards.v1.Columns(crudAddress, insecure);
const cardsClient = new boards.v1.Cards(crudAddress, insecure);
const realtimeClient = new realtime.v1.Realtime(realtimeAddress, insecure);
const closeClients = () => [boardsClient, columnsClient, cardsClient, realtimeClient].forEach((c) => c.close());

const signedIn = await signIn("boards events"); // one token for crud (boards) and realtime (events)
const call = (client, method, request) =>
  new Promise((resolve, reject) => client[method](request, signedIn, (error, reply) => (error ? reject(error) : resolve(reply))));

const board = await call(boardsClient, "createBoard", { name: "Node demo" });
const column = await call(columnsClient, "createColumn", { boardId: board.id, name: "To do" });

const comeBack = new Set([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED]);
let lastPosition; // the stream's start, then each event's: where a resumed stream goes on from
let retryMs = 250;
let createdAt;

function watch() {
  const request = { channel: `board:${board.id}`, ...(lastPosition === undefined ? {} : { afterPosition: lastPosition }) };
  const stream = realtimeClient.subscribe(request, signedIn);
  let resuming = false;
  stream.on("data", (message) => {
    if (message.message === "subscribed") {
      retryMs = 250;
      lastPosition ??= message.subscribed.position;
      if (createdAt === undefined) {
        createdAt = process.hrtime.bigint();
        call(cardsClient, "createCard", { columnId: column.id, title: "Hello from Node" }).then(
          (card) => console.log(`created card ${card.id} "${card.title}"`),
          (error) => {
            console.error(`createCard: ${error.message}`);
            process.exitCode = 1;
            stream.cancel();
          });
      }
    } else if (message.message === "event") {
      lastPosition = message.event.position;
      if (message.event.payload === "cardCreated") {
        const elapsedMs = Number(process.hrtime.bigint() - createdAt) / 1e6;
        const { card } = message.event.cardCreated;
        console.log(`received cardCreated at position ${message.event.position}: "${card.title}" (${elapsedMs.toFixed(1)} ms after the create call)`);
        stream.cancel();
      }
    }
  });
  stream.on("error", (error) => {
    if (comeBack.has(error.code)) {
      resuming = true;
      console.error(`${error.details}: resuming after position ${lastPosition ?? "(none yet)"} in ${retryMs} ms`);
      setTimeout(watch, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    } else if (error.code !== grpc.status.CANCELLED) {
      console.error(error.message);
      process.exitCode = 1;
    }
  });
  stream.on("close", () => {
    if (!resuming) closeClients();
  });
}

watch();
