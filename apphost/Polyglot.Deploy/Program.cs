using Polyglot.Deploy;
using Spectre.Console;
using Spectre.Console.Cli;

// dotnet run --project apphost/Polyglot.Deploy -- [--output deploy] [--topology split|monolith] [--dapr] …; --help lists every option.
var console = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // A log or a pipe has no width: an error message stays on one line instead of breaking at Spectre's default 80 columns.
    console.Profile.Width = 1000;
}
var app = new CommandApp<DeployCommand>();
app.Configure(config => config.SetApplicationName("polyglot-deploy").UseStrictParsing().ConfigureConsole(console));
return app.Run(args);
