using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OperatorConsole.Infrastructure.Telemetry;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>An app instance on a clock shared with other instances (nodes of one cluster on one database).</summary>
public sealed class ClockNodeFactory(string? database, FakeTimeProvider clock) : ConsoleAppFactory(database, null)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
    }
}

/// <summary>The dashboard's nodes: every app instance reports, and one that stops is shown as down once its heartbeats lapse.</summary>
public class DashboardNodesTests
{
    [Fact]
    public async Task Dashboard_shows_both_nodes_of_a_cluster_and_a_stopped_one_as_down_after_three_missed_heartbeats()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var first = new ClockNodeFactory(null, clock);
        await first.InitializeAsync();
        try
        {
            var second = new ClockNodeFactory(first.Database, clock);
            await second.InitializeAsync();
            var firstId = first.Services.GetRequiredService<NodeIdentity>().Id;
            var secondId = second.Services.GetRequiredService<NodeIdentity>().Id;
            Assert.NotEqual(firstId, secondId);
            var probe = first.Services.GetRequiredService<OperationsProbe>();

            var both = await Eventually.GetAsync(() => probe.ReadAsync(), s => s.Nodes.Any(n => n.NodeId == firstId) && s.Nodes.Any(n => n.NodeId == secondId),
                "both nodes' heartbeats", TimeSpan.FromSeconds(30));
            Assert.All(both.Nodes.Where(n => n.NodeId == firstId || n.NodeId == secondId), n =>
            {
                Assert.False(n.Down);
                Assert.False(string.IsNullOrEmpty(n.Version));
                Assert.True(n.WorkingSetBytes > 0);
            });

            await second.DisposeAsync();
            var heartbeat = first.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<NodeOptions>>().Value.Heartbeat;
            // Two heartbeats later the stopped node is late but not yet down.
            clock.Advance(2 * heartbeat);
            var late = await Eventually.GetAsync(() => probe.ReadAsync(), s => s.Nodes.Single(n => n.NodeId == firstId).HeartbeatAt == clock.GetUtcNow(),
                "the running node's heartbeat on the new time", TimeSpan.FromSeconds(30));
            Assert.False(late.Nodes.Single(n => n.NodeId == secondId).Down);

            // More than three: down. The running node keeps beating and stays up.
            clock.Advance(heartbeat + TimeSpan.FromSeconds(1));
            var after = await Eventually.GetAsync(() => probe.ReadAsync(), s => s.Nodes.Single(n => n.NodeId == firstId).HeartbeatAt == clock.GetUtcNow(),
                "the running node's heartbeat after the lapse", TimeSpan.FromSeconds(30));
            Assert.True(after.Nodes.Single(n => n.NodeId == secondId).Down);
            Assert.False(after.Nodes.Single(n => n.NodeId == firstId).Down);
        }
        finally
        {
            await first.DisposeAsync();
        }
    }
}
