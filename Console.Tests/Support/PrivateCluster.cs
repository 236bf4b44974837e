using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Tests.Support;

/// <summary>How a test stops a <see cref="PrivateCluster"/>: "immediate" is a crash (no checkpoint, recovery from the WAL on start), "fast" a clean shutdown.</summary>
public enum PgStop { Immediate, Fast }

/// <summary>
/// A PostgreSQL cluster of the test's own (initdb, pg_ctl) that it may stop and start again: the suite's shared cluster
/// serves every other test at the same time, so it is never stopped. Same roles as <c>console.sh</c> makes
/// (postgres, console_owner, console_app without BYPASSRLS); fsync off, which a process crash does not need (the kernel
/// still has the writes) but keeps an initdb and a migration cheap. As root, initdb and pg_ctl run as the postgres user
/// (they refuse root), as in <c>console.sh</c>'s <c>as_pg</c>. Disposing stops it and deletes its directory.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    /// <summary>Ports private clusters may use (one per running cluster).</summary>
    public const int FirstPort = 55463, LastPort = 55469;

    private readonly string _bin;

    private PrivateCluster(string bin, string directory, int port)
    {
        _bin = bin;
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }
    public int Port { get; }
    public bool Running { get; private set; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Pooling=false";

    /// <summary>A role's connection string to one of this cluster's databases (pool as small as the shared suite's).</summary>
    public string For(string database, string role) => new NpgsqlConnectionStringBuilder($"Host=127.0.0.1;Port={Port}")
    {
        Database = database,
        Username = role,
        Password = role,
        MaxPoolSize = 20,
    }.ConnectionString;

    /// <summary>The settings that point an app (in-process or a real process) at <paramref name="database"/> on this cluster.</summary>
    public Dictionary<string, string?> AppSettings(string database) => new()
    {
        ["ConnectionStrings:Default"] = For(database, TestDatabase.AppRole),
        ["ConnectionStrings:Migrations"] = For(database, TestDatabase.OwnerRole),
    };

    /// <summary>initdb and start a cluster on a free port of <see cref="FirstPort"/>–<see cref="LastPort"/>, with the app's roles.</summary>
    public static async Task<PrivateCluster> StartAsync()
    {
        var bin = System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => int.Parse(Path.GetFileName(Path.GetDirectoryName(d))!)).LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed: ./console.sh test installs it.");
        var port = Enumerable.Range(FirstPort, LastPort - FirstPort + 1).FirstOrDefault(IsFree);
        if (port == 0) throw new InvalidOperationException($"No free port for a private cluster in {FirstPort}–{LastPort}.");
        var directory = Path.Combine(Path.GetTempPath(), $"console-private-pg-{port}-{Guid.NewGuid().ToString("N")[..8]}");
        var pwfile = directory + ".pw";
        await File.WriteAllTextAsync(pwfile, "postgres\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pwfile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var cluster = new PrivateCluster(bin, directory, port);
        try
        {
            // initdb creates the directory (/tmp lets the postgres user do that).
            await cluster.AsPostgresAsync("initdb", "-D", directory, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pwfile);
        }
        finally
        {
            File.Delete(pwfile);
        }
        await cluster.StartAgainAsync();
        await cluster.ExecAsync($"""
            CREATE ROLE {TestDatabase.OwnerRole} LOGIN CREATEDB PASSWORD '{TestDatabase.OwnerRole}';
            CREATE ROLE {TestDatabase.AppRole} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{TestDatabase.AppRole}';
            """);
        return cluster;
    }

    /// <summary>A new database owned by console_owner with the app's schema (every migration, then the serving role's grants).</summary>
    public async Task<string> CreateDatabaseAsync(string name = "console_outage")
    {
        await ExecAsync($"CREATE DATABASE {name} OWNER {TestDatabase.OwnerRole}");
        await DatabaseInitializer.MigrateAsync(For(name, TestDatabase.OwnerRole), For(name, TestDatabase.AppRole));
        NpgsqlConnection.ClearAllPools();
        return name;
    }

    /// <summary><c>pg_ctl stop -m immediate|fast</c>: returns once the server has gone.</summary>
    public async Task StopAsync(PgStop mode)
    {
        await AsPostgresAsync("pg_ctl", "-D", Directory, "-m", mode == PgStop.Immediate ? "immediate" : "fast", "-w", "-t", "60", "stop");
        Running = false;
    }

    /// <summary><c>pg_ctl start</c> on the same directory and port: returns once it accepts connections (after crash recovery, if any).</summary>
    public async Task StartAgainAsync()
    {
        await AsPostgresAsync("pg_ctl", "-D", Directory, "-l", Path.Combine(Directory, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{Directory}' -c max_connections=200 -c fsync=off", "start");
        Running = true;
    }

    public async Task ExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task AsPostgresAsync(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        var root = Environment.UserName == "root";
        var info = new ProcessStartInfo(root ? "runuser" : path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (root) foreach (var a in new[] { "-u", "postgres", "--", path }) info.ArgumentList.Add(a);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        // pg_ctl start leaves the server holding inherited descriptors: read to the end of what pg_ctl itself wrote only.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(Directory, "server.log");
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "";
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}{await stdout}\n{tail}");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (Running || File.Exists(Path.Combine(Directory, "postmaster.pid"))) await StopAsync(PgStop.Immediate);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
