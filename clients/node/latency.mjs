// Measures create→event latency across the split: a card created on crud over gRPC, until its
// cardCreated event arrives on a realtime gRPC stream (crud commit, outbox relay, RabbitMQ,
// realtime's hub). One create at a time, after a warm-up.
// Usage: node latency.mjs [count=100] [crud-grpc-address] [realtime-grpc-address]
// It signs in to crud first (sign-in.mjs says with what).
import os from "node:os";
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { signIn } from "./sign-in.mjs";

const count = Number(process.argv[2] ?? 100);
const warmup = 20;
const crudAddress = process.argv[3] ?? "localhost:5101";
const realtimeAddress = process.argv[4] ?? "localhost:5201";
const protos = fileURLToPath(new URL("../../contracts/protos", import.meta.url));
const googleApi = fileURLToPath(new URL("../../contracts/third_party", import.meta.url)); // google/api, for the REST rules
const definition = protoLoader.loadSync(["boards/v1/boards.proto", "realtime/v1/realtime.proto"], {
  includeDirs: [protos, googleApi], longs: String, defaults: true, oneofs: true,
});
const { boards, realtime } = grpc.loadPackageDefinition(definition).polyglot;
const insecure = grpc.credentials.createInsecure();
const crud = {
  boards: new boards.v1.Boards(crudAddress, insecure),
  columns: new boards.v1.Columns(crudAddress, insecure),
  cards: new boards.v1.Cards(crudAddress, insecure),
};
const signedIn = await signIn("boards events"); // one token for crud (boards) and realtime (events)
const call = (client, method, request) =>
  new Promise((resolve, reject) => client[method](request, signedIn, (error, reply) => (error ? reject(error) : resolve(reply))));

const board = await call(crud.boards, "createBoard", { name: "Latency" });
const column = await call(crud.columns, "createColumn", { boardId: board.id, name: "Cards" });
const stream = new realtime.v1.Realtime(realtimeAddress, insecure).subscribe({ channel: `board:${board.id}` }, signedIn);
const arrivals = new Map(); // card title -> resolve(arrival time)
stream.on("data", (message) => {
  if (message.message === "event" && message.event.payload === "cardCreated") {
    arrivals.get(message.event.cardCreated.card.title)?.(process.hrtime.bigint());
  }
});
// A stream that ends mid-run ends the run: resuming would put the wait for it into the figures.
let measuring = true;
stream.on("error", (error) => {
  if (error.code !== grpc.status.CANCELLED) {
    console.error(`the stream ended before the run did: ${error.message}`);
    process.exit(1);
  }
});
stream.on("end", () => {
  if (measuring) {
    console.error("the stream ended before the run did");
    process.exit(1);
  }
});
await new Promise((resolve) => stream.once("data", resolve)); // `subscribed`: the stream is live

const samples = [];
for (let i = 0; i < warmup + count; i++) {
  const title = `card ${i}`;
  const arrived = new Promise((resolve) => arrivals.set(title, resolve));
  const sent = process.hrtime.bigint();
  await call(crud.cards, "createCard", { columnId: column.id, title });
  // An event that never comes ends the run, rather than leaving it waiting.
  const lost = setTimeout(() => {
    console.error(`${title} never arrived on the stream (30 s)`);
    process.exit(1);
  }, 30_000);
  const latencyMs = Number((await arrived) - sent) / 1e6;
  clearTimeout(lost);
  if (i >= warmup) samples.push(latencyMs);
}
measuring = false;
stream.cancel();

samples.sort((a, b) => a - b);
const at = (q) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)].toFixed(2);
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0].model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`);
console.log(`create→event over gRPC, crud → outbox → RabbitMQ → realtime → stream; ${count} creates one at a time after ${warmup} warm-up`);
console.log(`p50 ${at(0.5)} ms   p90 ${at(0.9)} ms   p99 ${at(0.99)} ms   max ${samples.at(-1).toFixed(2)} ms`);
process.exit(0);
