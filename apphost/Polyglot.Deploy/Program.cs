using Polyglot.Deploy;
using Spectre.Console.Cli;

// dotnet run --project apphost/Polyglot.Deploy -- [--output deploy] [--topology split|monolith] [--dapr] …; --help lists every option.
var app = new CommandApp<DeployCommand>();
app.Configure(config => config.SetApplicationName("polyglot-deploy").UseStrictParsing());
return app.Run(args);
