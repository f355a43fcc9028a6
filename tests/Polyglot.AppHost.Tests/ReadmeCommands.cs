using System.Diagnostics;
using System.Text;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The README's shell commands, run in bash from the repository's root as a user pastes them, with
/// the shell variables the user's terminal keeps between them. grpcurl is not packaged for the test
/// machines: a function of that name makes the same call with <c>buf curl</c> (tests/tools), which
/// finds the method by the server's reflection as grpcurl does and takes the same -H and -d.
/// </summary>
public static class ReadmeCommands
{
    private const string Grpcurl = """
        grpcurl() {
          local flags=()
          while (($# > 2)); do [[ $1 == -plaintext ]] || flags+=("$1"); shift; done
          buf curl --protocol grpc --http2-prior-knowledge "${flags[@]}" "http://$1/$2"
        }
        """;

    /// <summary>The commands of the shell block under <paramref name="heading"/>, a line continued with <c>\</c> joined to the next.</summary>
    public static IReadOnlyList<string> InSection(string heading)
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var section = readme[(readme.IndexOf($"\n{heading}\n", StringComparison.Ordinal) + heading.Length + 2)..];
        var block = section[(section.IndexOf("```sh\n", StringComparison.Ordinal) + 6)..section.IndexOf("\n```\n", StringComparison.Ordinal)];
        return block.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
    }

    public static Process Start(string command, IReadOnlyDictionary<string, string> variables) => Process.Start(StartInfo(command, variables))!;

    private static ProcessStartInfo StartInfo(string command, IReadOnlyDictionary<string, string> variables)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"{Grpcurl}\n{command}"])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = $"{Path.Combine(Repository.Root, "tests", "tools", "node_modules", ".bin")}:{start.Environment["PATH"]}";
        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }
        return start;
    }

    /// <summary>Runs <paramref name="command"/> to its end and returns what it printed; fails with its errors if it failed.</summary>
    public static async Task<string> RunAsync(string command, IReadOnlyDictionary<string, string> variables, CancellationToken ct)
    {
        var exit = await ProgramRun.RunAsync(StartInfo(command, variables), ct);
        Assert.True(exit.Code == 0, $"`{command}` exited with {exit.Code}: {exit.Errors}");
        return exit.Output;
    }

    /// <summary>Reads a running command's output up to the first line containing <paramref name="text"/>, and returns what it read.</summary>
    public static async Task<string> ReadUntilAsync(this Process process, string text, CancellationToken ct)
    {
        var read = new StringBuilder();
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            read.AppendLine(line);
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return read.ToString();
            }
        }
        throw new InvalidOperationException($"The command ended before printing {text}: {read}{await process.StandardError.ReadToEndAsync(ct)}");
    }
}
