using System.Diagnostics;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>Heartbeats of this app instance. Keys: Nodes:*.</summary>
public sealed class NodeOptions
{
    /// <summary>How often each node writes its row; a node silent for more than three of these is shown as down.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)] public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>
    /// This node's name (its id is the name plus a suffix per start): the machine's name unless set. Two nodes on one
    /// machine (./console.sh cluster) or containers with random host names are told apart on the command center by it.
    /// </summary>
    [System.ComponentModel.DataAnnotations.MaxLength(40)] public string? Name { get; set; }

    /// <summary>Rows of nodes silent for longer than this are removed (a node replaced by a deploy).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 24 * 7)] public int ForgetAfterHours { get; set; } = 1;

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    /// <summary>Three heartbeats missed: the node is down.</summary>
    public TimeSpan DownAfter => 3 * Heartbeat;
}

/// <summary>Who this app instance is: one id per process start (two instances on one host are two nodes).</summary>
public sealed class NodeIdentity(TimeProvider clock, IOptions<NodeOptions> options)
{
    public string Id { get; } = $"{(string.IsNullOrWhiteSpace(options.Value.Name) ? Environment.MachineName : options.Value.Name.Trim()).ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..6]}";
    public string Host { get; } = Environment.MachineName;
    public string Version { get; } = (Assembly.GetEntryAssembly() ?? typeof(NodeIdentity).Assembly)
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();
}

/// <summary>Open Blazor circuits on this node (a circuit handler counts them).</summary>
public sealed class CircuitCount
{
    private int _open;
    public int Open => Volatile.Read(ref _open);
    public void Opened() => Interlocked.Increment(ref _open);
    public void Closed() => Interlocked.Decrement(ref _open);
}

public sealed record ClusterNode(string NodeId, string Host, string Version, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, int Circuits,
    double CpuPercent, long WorkingSetBytes, bool Down);

/// <summary>
/// Writes this node's <c>cluster_nodes</c> row every heartbeat (CPU since the last one, working set, circuits), and
/// removes rows of nodes silent for longer than <see cref="NodeOptions.ForgetAfterHours"/>. Waits on the app's clock, so
/// a test moves heartbeats with its fake clock. Each heartbeat also refreshes the backlog behind <c>console.backlog</c>.
/// </summary>
public sealed class NodeHeartbeat(NodeIdentity node, CircuitCount circuits, ContextScopes scopes, OperationsProbe probe, TimeProvider clock,
    IOptions<NodeOptions> options, ILogger<NodeHeartbeat> log) : BackgroundService
{
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long _lastAt = Stopwatch.GetTimestamp();

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await BeatAsync(ct);
                await probe.ReadAsync(ct); // keeps the console.backlog gauge current while no dashboard is open
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                log.LogWarning(ex, "Node heartbeat of {NodeId} failed", node.Id);
            }
            try
            {
                await Task.Delay(options.Value.Heartbeat, clock, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task BeatAsync(CancellationToken ct)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.GetElapsedTime(_lastAt);
        var cpuPercent = wall > TimeSpan.Zero ? Math.Clamp((cpu - _lastCpu) / wall / Environment.ProcessorCount * 100, 0, 100) : 0;
        _lastCpu = cpu;
        _lastAt = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow();

        await using var work = scopes.ForSystem("node heartbeat");
        await work.Db.Database.OpenConnectionAsync(ct);
        await using var command = (NpgsqlCommand)work.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """
            INSERT INTO cluster_nodes (node_id, host, version, started_at, heartbeat_at, circuits, cpu_percent, working_set_bytes)
            VALUES (@id, @host, @version, @started, @now, @circuits, @cpu, @ws)
            ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, circuits = excluded.circuits,
                cpu_percent = excluded.cpu_percent, working_set_bytes = excluded.working_set_bytes;
            DELETE FROM cluster_nodes WHERE heartbeat_at < @forget;
            """;
        command.Parameters.AddWithValue("id", node.Id);
        command.Parameters.AddWithValue("host", node.Host);
        command.Parameters.AddWithValue("version", node.Version);
        command.Parameters.AddWithValue("started", node.StartedAt);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("circuits", circuits.Open);
        command.Parameters.AddWithValue("cpu", cpuPercent);
        command.Parameters.AddWithValue("ws", process.WorkingSet64);
        command.Parameters.AddWithValue("forget", now - TimeSpan.FromHours(options.Value.ForgetAfterHours));
        await command.ExecuteNonQueryAsync(ct);
    }
}
