using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Webhooks;

/// <summary>Customers' messages come first: outbound deliveries slow down while webhook processing is behind, and never stop.</summary>
public class IngestFirstTests
{
    [Fact]
    public void Processing_counts_as_behind_after_a_late_batch_and_until_it_has_caught_up()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-04T12:00:00Z"));
        var pressure = new IngestPressure(Options.Create(new WebhookOptions { BehindMilliseconds = 250 }), clock);
        Assert.False(pressure.Behind);

        pressure.Report(TimeSpan.FromMilliseconds(40)); // a batch claimed 40 ms after its oldest delivery arrived: keeping up
        Assert.False(pressure.Behind);

        pressure.Report(TimeSpan.FromMilliseconds(900));
        Assert.True(pressure.Behind);
        clock.Advance(IngestPressure.Hold - TimeSpan.FromMilliseconds(1));
        Assert.True(pressure.Behind);
        clock.Advance(TimeSpan.FromMilliseconds(2)); // no late batch since: caught up
        Assert.False(pressure.Behind);
    }

    [Fact]
    public async Task While_processing_is_behind_deliveries_go_out_at_the_budget_and_all_of_them_arrive_once()
    {
        await using var receiver = await FakeWebhookReceiver.StartAsync();
        await using var app = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Network:PrivateAllowlist:0"] = $"127.0.0.1:{receiver.Port}",
            ["OutboundWebhooks:PollMilliseconds"] = "100",
            ["OutboundWebhooks:PerSecondWhileIngestBehind"] = "2",
        });
        await app.InitializeAsync();
        var tenant = await app.TenantAsync();
        var key = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(tenant.Id, "hooks", ["read", "write", "admin"], null, new ApiKeyActor("test"));
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        var subscribed = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/webhooks", new { url = receiver.Url("/ok"), events = new[] { "lead.created" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);

        // The node's processing reports late batches for as long as the test needs (as it would under a flood).
        var pressure = app.Services.GetRequiredService<IngestPressure>();
        // Its own thread, not the thread pool: in a CI run under load a pooled reporter stalled past the one-second hold,
        // the node counted as caught up for a moment and a delivery went out early.
        using var flood = new CancellationTokenSource();
        var behind = new Thread(() =>
        {
            do pressure.Report(TimeSpan.FromSeconds(5)); while (!flood.Token.WaitHandle.WaitOne(50));
        }) { IsBackground = true, Name = "ingest flood" };
        behind.Start();
        await Eventually.TrueAsync(() => Task.FromResult(pressure.Behind), "the node counted as behind");

        // Eight leads created in one save: eight deliveries due at the same moment.
        const int Count = 8;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            for (var i = 0; i < Count; i++) work.Db.Raise(new LeadCreated(tenant.Id, Guid.CreateVersion7(), "test"));
            await work.Db.SaveChangesAsync();
        }
        var received = await Eventually.GetAsync(() => Task.FromResult(receiver.To("/ok")), r => r.Count >= Count, "every delivery, even while behind",
            TimeSpan.FromSeconds(60));
        await flood.CancelAsync();
        behind.Join();

        // At two a second with no burst, one token every 500 ms on the limiter's own timer: the first goes at once, the
        // second at the next tick (up to 500 ms later) and the other six a tick apart, so the last is sent at least 3 s
        // after the first. They are timed as they arrive, and the first send also opens the connection (tens of ms), so
        // the bound allows a whole tick for that. Unthrottled, all eight arrived within 66 ms; a slower machine only
        // spreads them more.
        var spread = received.Max(r => r.At) - received.Min(r => r.At);
        Assert.True(spread >= TimeSpan.FromSeconds(2.5), $"eight deliveries went out within {spread.TotalMilliseconds:F0} ms while processing was behind");
        var ids = received.Select(r => r.Headers["X-Console-Event-Id"]).ToList();
        Assert.Equal(Count, ids.Distinct().Count());
        Assert.Equal(Count, ids.Count);
        Assert.All(received, r => Assert.Equal("lead.created", JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()));
    }
}
