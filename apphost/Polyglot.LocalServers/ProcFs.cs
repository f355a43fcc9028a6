using System.Globalization;

namespace Polyglot.LocalServers;

/// <summary>What Linux's /proc says about a process: its proportional memory, its CPU time, its children, its listening ports.</summary>
public static class ProcFs
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on

    /// <summary>
    /// Proportional set size: private pages plus each shared page divided by its sharers, so the
    /// sum over processes is what they cost together (the runtime's shared libraries counted once).
    /// 0 once the process has exited (a process can go between listing and reading).
    /// </summary>
    public static long PssBytes(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/smaps_rollup")
                .Where(line => line.StartsWith("Pss:", StringComparison.Ordinal))
                .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024)
                .Single();
        }
        catch (DirectoryNotFoundException)
        {
            return 0; // exited: its /proc folder is gone
        }
    }

    /// <summary>User plus system CPU time the process has used, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var fields = StatFields(pid);
        // utime and stime are the 14th and 15th fields; StatFields starts at the 3rd (state).
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>
    /// <see cref="CpuSeconds"/> of each of the processes still running: one that has exited since
    /// it was listed (a broker's short-lived helper) is left out, not a failed reading.
    /// </summary>
    public static IReadOnlyDictionary<int, double> CpuSecondsOfRunning(IEnumerable<int> pids)
    {
        var seconds = new Dictionary<int, double>();
        foreach (var pid in pids)
        {
            try
            {
                seconds[pid] = CpuSeconds(pid);
            }
            catch (DirectoryNotFoundException)
            {
                // Exited meanwhile: its /proc folder is gone.
            }
        }
        return seconds;
    }

    /// <summary>The process's command name; empty once it has exited (a process can go between listing and reading).</summary>
    public static string CommandName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The process and every process below it.</summary>
    public static IEnumerable<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid))
            {
                try
                {
                    parents[pid] = int.Parse(StatFields(pid)[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // Exited meanwhile.
                }
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        }
        return tree;
    }

    /// <summary>TCP ports the processes listen on: their socket inodes matched with the kernel's LISTEN sockets. A process that has exited listens on none.</summary>
    public static IReadOnlySet<int> ListeningPorts(IEnumerable<int> pids)
    {
        var inodes = new HashSet<string>();
        foreach (var pid in pids)
        {
            string[] fds;
            try
            {
                fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
            }
            catch (DirectoryNotFoundException)
            {
                continue; // exited meanwhile
            }
            foreach (var fd in fds)
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue; // closed meanwhile
                }
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
        }
        var ports = new HashSet<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                const string Listen = "0A";
                if (columns[3] == Listen && inodes.Contains(columns[9]))
                {
                    ports.Add(int.Parse(columns[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }
        return ports;
    }

    /// <summary>The fields of /proc/PID/stat after the command name (which may hold spaces): state, ppid, …</summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
