using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;

namespace OperatorConsole.Tests.Proof;

/// <summary>What one crash run did and found; <see cref="ToString"/> is the figures block the run prints.</summary>
public sealed record CrashFigures(int Kills, int Customers, int Deliveries, int DeliveryAttempts, int Replies, int Sends, int Duplicates, int Reconciled,
    int Scheduled, int ScheduledFired, int LeftOver, IReadOnlyList<TimeSpan> Recoveries, TimeSpan Drain, TimeSpan Total)
{
    public override string ToString()
    {
        var recoveries = string.Join(", ", Recoveries.Select(r => r.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"));
        return $"""
            crash run: {Kills} SIGKILLs, {Customers} customers, {Total.TotalSeconds:0.0} s in all
              deliveries answered 200: {Deliveries} (posts incl. retries while the app was down: {DeliveryAttempts}), each stored once
              agent replies: {Replies} for {Customers} customer bursts; sends at the fake Graph API: {Sends}; duplicates: {Duplicates}
              sends cut off by a kill and settled by the status naming them (not sent again): {Reconciled}
              scheduled messages due during the run: {Scheduled}, fired once each: {ScheduledFired}
              rows left claimed or unprocessed: {LeftOver}
              ready after each restart: {recoveries}; backlog drained {Drain.TotalSeconds:0.0} s after the last restart
            """;
    }
}

/// <summary>
/// Crash safety, from outside: the real app as a child process (the Release build, <see cref="AppProcess"/>) behind
/// signed webhook load from many customers, SIGKILLed at random moments and restarted; the fake Graph API posts the
/// statuses of accepted sends back like Meta (delayed, retried while the app is down). Afterwards the database and the
/// fakes must agree: every delivery answered 200 stored once, one reply per customer burst and no send twice at the
/// channel, every scheduled message due in the run fired once, no row left claimed or unprocessed.
/// </summary>
public class CrashSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_SIGKILLs_under_signed_webhook_load_lose_nothing_and_send_nothing_twice()
    {
        var figures = await CrashRun.RunAsync(new CrashRun.Plan(Customers: 24, Kills: 2, Load: TimeSpan.FromSeconds(10), Scheduled: 4,
            DrainTimeout: TimeSpan.FromSeconds(90), FastStart: true), output);
        Assert.Equal(2, figures.Kills);
    }

    [Fact]
    [Trait("Category", "Proof")]
    public async Task Twelve_SIGKILLs_under_signed_webhook_load_from_200_customers_lose_nothing_and_send_nothing_twice()
    {
        var figures = await CrashRun.RunAsync(new CrashRun.Plan(Customers: 200, Kills: 12, Load: TimeSpan.FromSeconds(90), Scheduled: 20,
            DrainTimeout: TimeSpan.FromMinutes(5)), output);
        Assert.True(figures.Kills >= 10);
    }
}

public static class CrashRun
{
    /// <param name="Customers">Each writes one burst (two messages in one signed delivery) at a random moment of the load.</param>
    /// <param name="Scheduled">Scheduled messages due at random moments of the load, on conversations of their own.</param>
    /// <param name="FastStart">Tiered compilation on (the app turns it off for steady throughput at ~3 s more start-up): the CI run's restarts.</param>
    public sealed record Plan(int Customers, int Kills, TimeSpan Load, int Scheduled, TimeSpan DrainTimeout, int Tenants = 4, bool FastStart = false);

    private sealed record Customer(Guid TenantId, string PhoneNumberId, string WaId, string[] Wamids);

    private sealed record ScheduledMessage(Guid TenantId, Guid ConversationId, string Text);

    public static async Task<CrashFigures> RunAsync(Plan plan, ITestOutputHelper output)
    {
        var total = Stopwatch.StartNew();
        await using var llm = await FakeLlm.StartAsync();
        await using var graph = await FakeGraphApi.StartAsync();
        var database = await TestDatabase.CreateAsync();
        try
        {
            var (customers, scheduledOn) = await ProvisionAsync(database, plan);
            output.WriteLine($"provisioned in {total.Elapsed.TotalSeconds:0.0} s");
            var settings = new Dictionary<string, string?>(AgentApp.Settings(llm, leaseSeconds: 5))
            {
                ["Outbound:Mode"] = "Live", // Outbound:ReconcileSeconds stays at its default (60): longer than a restart here
                ["Meta:GraphBaseUrl"] = graph.BaseUrl.ToString().TrimEnd('/'),
                ["Meta:GraphVersion"] = "v23.0",
                ["Scheduler:CheckinIntervalSeconds"] = "2",
                ["Scheduler:SweepSeconds"] = "5",
                ["DOTNET_TieredCompilation"] = plan.FastStart ? "1" : null,
            };
            await using var app = AppProcess.Create(database, settings, "crash");
            using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            graph.WebhookTarget = http;
            graph.StatusDelay = TimeSpan.FromMilliseconds(300);
            var recoveries = new List<TimeSpan>();
            output.WriteLine($"first start: ready in {(await app.StartAsync(TimeSpan.FromSeconds(120))).TotalSeconds:0.0} s");

            var scheduled = await ScheduleAsync(http, scheduledOn, plan);
            var random = new Random();
            var start = Stopwatch.StartNew();
            var answered = 0;
            var attempts = 0;
            var load = customers.Select(async c =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * plan.Load.TotalMilliseconds));
                var body = Deliveries.WhatsAppBatch(c.Wamids.Select((w, i) => (c.PhoneNumberId, c.WaId, w, $"hola {i} de {c.WaId}",
                    DateTimeOffset.UtcNow, (string?)"Cliente")).ToArray());
                // Like Meta: retried with backoff until the app answers 200.
                var wait = TimeSpan.FromMilliseconds(200);
                while (true)
                {
                    Interlocked.Increment(ref attempts);
                    try
                    {
                        using var response = await new WebhookClient(http).PostMetaAsync("whatsapp", body);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref answered);
                            return;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        // Killed mid-request, or not up yet.
                    }
                    await Task.Delay(wait);
                    wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 2000));
                }
            }).ToList();

            // Kills at random moments of the load (the last within it), each followed at once by a restart.
            var killAt = Enumerable.Range(0, plan.Kills).Select(_ => plan.Load * (0.1 + 0.85 * random.NextDouble())).Order().ToList();
            var kills = 0;
            foreach (var at in killAt)
            {
                var due = at - start.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
                app.Kill();
                kills++;
                recoveries.Add(await app.StartAsync(TimeSpan.FromSeconds(120)));
                // Give each life at least a moment of work, so the next kill lands in the middle of something.
                await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(700)));
            }
            await Task.WhenAll(load);
            var lastRestart = Stopwatch.StartNew();

            await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = database }.ConnectionString);
            await db.OpenAsync();
            // Drained: the fake has posted every status it owes (Meta's last webhooks are work too) and nothing is left to do.
            await Eventually.TrueAsync(async () => graph.WebhooksInFlight == 0 && await DrainedAsync(db, customers.Count, scheduled.Count),
                "every burst answered and every queue empty", plan.DrainTimeout);
            var drain = lastRestart.Elapsed;

            // The figures, from the database and from the fakes.
            var sendsTo = graph.Sends.Where(s => s.Body?["status"]?.GetValue<string>() != "read")
                .GroupBy(s => s.Body?["to"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.Count());
            var stored = await ScalarAsync(db, "SELECT count(DISTINCT external_id) FROM messages WHERE external_id = ANY(@ids)",
                ("ids", customers.SelectMany(c => c.Wamids).ToArray()));
            var storedRows = await ScalarAsync(db, "SELECT count(*) FROM messages WHERE external_id = ANY(@ids)",
                ("ids", customers.SelectMany(c => c.Wamids).ToArray()));
            var repliesPer = await RepliesPerCustomerAsync(db);
            var replies = customers.Sum(c => repliesPer.GetValueOrDefault(c.WaId));
            var customerSends = customers.Sum(c => sendsTo.GetValueOrDefault(c.WaId));
            var scheduledSends = scheduled.Sum(s => graph.Sends.Count(x => x.Body?["text"]?["body"]?.GetValue<string>() == s.Text));
            var duplicates = customers.Sum(c => Math.Max(0, sendsTo.GetValueOrDefault(c.WaId) - 1))
                + scheduled.Sum(s => Math.Max(0, graph.Sends.Count(x => x.Body?["text"]?["body"]?.GetValue<string>() == s.Text) - 1));
            var fired = await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Done)}'");
            var leftOver = await LeftOverAsync(db);
            var figures = new CrashFigures(kills, customers.Count, answered, attempts, replies, customerSends + scheduledSends, duplicates,
                app.CountInLog("reconciled as"),
                scheduled.Count, (int)fired, (int)leftOver, recoveries, drain, total.Elapsed);
            output.WriteLine(figures.ToString());
            Console.WriteLine(figures.ToString());
            await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(app.LogPath)!, $"crash-figures-{plan.Kills}-kills.txt"), figures.ToString());

            Assert.Equal(customers.Count, answered);
            Assert.Equal((long)customers.Count * 2, stored); // every delivery answered 200 is stored
            Assert.Equal(stored, storedRows);                // once
            Assert.All(customers, c => Assert.Equal(1, repliesPer.GetValueOrDefault(c.WaId))); // one reply per burst
            Assert.All(customers, c => Assert.Equal(1, sendsTo.GetValueOrDefault(c.WaId)));    // sent once at the channel
            Assert.Equal(0, duplicates);
            Assert.Equal(scheduled.Count, fired);
            Assert.Equal(scheduled.Count, scheduledSends);
            Assert.Equal(0, leftOver);
            return figures;
        }
        finally
        {
            graph.WebhookTarget = null;
            await TestDatabase.DropAsync(database);
        }
    }

    /// <summary>Tenants, channels and agent settings through an in-process app on the database, which is gone before the process starts.</summary>
    private static async Task<(List<Customer>, List<(Guid TenantId, Guid ConversationId)>)> ProvisionAsync(string database, Plan plan)
    {
        await using var setup = new NodeAppFactory(database, new Dictionary<string, string?>
        {
            ["Agent:Workers"] = "0", ["Outbound:Workers"] = "0", ["Webhooks:Workers"] = "0", ["Scheduler:Enabled"] = "false",
        });
        await setup.InitializeAsync();
        var customers = new List<Customer>();
        var scheduledOn = new List<(Guid, Guid)>();
        for (var t = 0; t < plan.Tenants; t++)
        {
            var owner = await TestCustomer.CreateAsync(setup, bufferSeconds: 1);
            for (var i = t; i < plan.Customers; i += plan.Tenants)
                customers.Add(new Customer(owner.TenantId, owner.PhoneNumberId, "52155" + (10000000 + i * 7919 % 89999999 + t).ToString(CultureInfo.InvariantCulture),
                    ["wamid." + Guid.NewGuid().ToString("N"), "wamid." + Guid.NewGuid().ToString("N")]));
            Channel channel;
            await using (var work = setup.Scopes.ForTenant(owner.TenantId))
                channel = await work.Db.Channels.AsNoTracking().SingleAsync();
            for (var i = t; i < plan.Scheduled; i += plan.Tenants)
            {
                var conversation = await setup.ConversationAsync(owner.TenantId, "Agenda " + i, "hola", channel, "52166" + (10000000 + i).ToString(CultureInfo.InvariantCulture));
                scheduledOn.Add((owner.TenantId, conversation.Id));
            }
        }
        return (customers, scheduledOn);
    }

    private static async Task<List<ScheduledMessage>> ScheduleAsync(HttpClient http, List<(Guid TenantId, Guid ConversationId)> on, Plan plan)
    {
        var scheduled = new List<ScheduledMessage>();
        var random = new Random();
        foreach (var (tenantId, conversationId) in on)
        {
            var text = "recordatorio " + Guid.NewGuid().ToString("N")[..8];
            // Whole seconds, due in the middle of the kills.
            var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.Add(plan.Load * (0.2 + 0.7 * random.NextDouble())).ToUnixTimeSeconds() + 2);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{tenantId}/conversations/{conversationId}/scheduled")
            {
                Content = JsonContent.Create(new { at, text }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            scheduled.Add(new ScheduledMessage(tenantId, conversationId, text));
        }
        return scheduled;
    }

    private static async Task<bool> DrainedAsync(NpgsqlConnection db, int customers, int scheduled)
    {
        var answered = await ScalarAsync(db, $"""
            SELECT count(DISTINCT m.conversation_id) FROM messages m
            WHERE m.sender = '{nameof(MessageSender.Bot)}' AND m.status <> '{nameof(DeliveryStatus.Queued)}'
            """);
        var fired = await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status <> '{nameof(ScheduledItemStatus.Pending)}'");
        return answered >= customers && fired >= scheduled && await LeftOverAsync(db) == 0;
    }

    /// <summary>Work still claimed, due or unprocessed: deliveries, turns, sends, scheduled items.</summary>
    private static async Task<long> LeftOverAsync(NpgsqlConnection db) =>
        await ScalarAsync(db, $"SELECT count(*) FROM webhook_deliveries WHERE state IN ('{nameof(DeliveryState.Pending)}', '{nameof(DeliveryState.Failed)}')")
        + await ScalarAsync(db, "SELECT count(*) FROM conversations WHERE agent_due_at IS NOT NULL OR agent_lease_id IS NOT NULL")
        + await ScalarAsync(db, $"SELECT count(*) FROM messages WHERE direction = '{nameof(MessageDirection.Outbound)}' AND status = '{nameof(DeliveryStatus.Queued)}'")
        + await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Pending)}'");

    private static async Task<Dictionary<string, int>> RepliesPerCustomerAsync(NpgsqlConnection db)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT i.value, count(m.id) FROM contact_identities i
            JOIN conversations c ON c.contact_id = i.contact_id
            JOIN messages m ON m.conversation_id = c.id AND m.sender = '{nameof(MessageSender.Bot)}'
            GROUP BY i.value
            """, db);
        var result = new Dictionary<string, int>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = (int)reader.GetInt64(1);
        return result;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
