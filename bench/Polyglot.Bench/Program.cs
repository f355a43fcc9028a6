using Polyglot.Bench;
using Polyglot.Bench.Cost;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("polyglot-bench").UseStrictParsing(); // a mistyped option is an error, not a full run with the defaults
    config.AddCommand<HoldCommand>("hold")
        .WithDescription("Open N subscriptions (gRPC streams over M HTTP/2 connections, or WebSockets), hold them, and report realtime's memory per subscription.");
    config.AddCommand<WebSocketShardCommand>("ws-shard").IsHidden();
    config.AddCommand<FanoutCommand>("fanout")
        .WithDescription("Create events on crud at a set rate for S subscribers of one board, and report deliveries/s, server CPU per delivery and commit→subscriber latency.");
    config.AddCommand<WritesCommand>("writes")
        .WithDescription("Commit CreateCard calls as fast as crud takes them, on SQLite or PostgreSQL: the writes/s the outbox's position counter allows.");
    config.AddCommand<ReadsCommand>("reads")
        .WithDescription("GetCard under h2load on a Release crud, with the read cache off and on: requests/s, p50/p99 and server CPU per request.");
    config.AddCommand<CostCommand>("cost")
        .WithDescription("Start the monolith, then the split, run the same workloads on each and report what the split costs, side by side (Markdown, JSON, SVG charts).");
});
return await app.RunAsync(args);
