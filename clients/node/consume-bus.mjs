// A consumer of the bus in another language, without Dapr or MassTransit: binds a queue of its
// own to the fan-out exchange `polyglot.events`, reads each batch from its documented JSON
// (contracts/README.md), decodes each event's protobuf payload, drops positions it has seen,
// and prints one JSON line per event. It does not fill gaps: where positions skip (a message
// lost) it says so on stderr; a consumer that must see every event reads those from crud's
// event log (polyglot.events.v1.EventLog/ListEvents), as realtime does.
// Usage: node consume-bus.mjs [amqp-url] [--count N]   (exits after N events when given)
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import protobuf from "protobufjs";

const args = process.argv.slice(2);
const countAt = args.indexOf("--count");
const count = countAt >= 0 ? Number(args.splice(countAt, 2)[1]) : Infinity;
const url = args[0] ?? "amqp://guest:guest@localhost:5680";

const protos = fileURLToPath(new URL("../../contracts/protos", import.meta.url));
const googleApi = fileURLToPath(new URL("../../contracts/third_party", import.meta.url)); // google/api, for the REST rules
// boards.proto's REST annotations import descriptor.proto, which protobufjs bundles but does not preload.
protobuf.common("descriptor", createRequire(import.meta.url)("protobufjs/google/protobuf/descriptor.json").nested.google.nested.protobuf.nested);
const root = new protobuf.Root();
root.resolvePath = (_, target) => `${target.startsWith("google/api/") ? googleApi : protos}/${target}`;
await root.load("events/v1/events.proto", { keepCase: false });
const IntegrationEvent = root.lookupType("polyglot.events.v1.IntegrationEvent");

const connection = await amqp.connect(url);
const channel = await connection.createChannel();
// Declared as crud declares it (fan-out, durable), so whichever starts first, both agree.
await channel.assertExchange("polyglot.events", "fanout", { durable: true });
// A queue of this consumer's own: every event reaches every consumer.
const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
await channel.bindQueue(queue, "polyglot.events", "");
console.log(JSON.stringify({ listening: queue }));

let last = 0;
let printed = 0;
await channel.consume(queue, async (message) => {
  if (printed >= count) {
    return; // delivered while the connection closes: not printed, and never acked (the queue goes with it)
  }
  if (message === null) {
    console.error("the broker cancelled this consumer (its queue was deleted)");
    process.exitCode = 1;
    return;
  }
  const { events } = JSON.parse(message.content.toString("utf8")).message;
  for (const envelope of events) {
    if (envelope.position <= last) {
      continue; // at-least-once: a batch can come twice
    }
    if (last > 0 && envelope.position > last + 1) {
      console.error(JSON.stringify({ gap: { after: last, before: envelope.position } }));
    }
    last = envelope.position;
    const event = IntegrationEvent.toObject(IntegrationEvent.decode(Buffer.from(envelope.payload, "base64")), { longs: Number, oneofs: true });
    console.log(JSON.stringify({ position: envelope.position, type: envelope.type, boardId: envelope.boardId, payload: event.payload, eventPosition: event.position }));
    if (++printed >= count) {
      await connection.close();
      return;
    }
  }
  channel.ack(message);
});
