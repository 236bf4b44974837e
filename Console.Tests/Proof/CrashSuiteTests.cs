using System.Diagnostics;
using System.Globalization;
using System.Net;
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

    public static async Task<CrashFigures> RunAsync(Plan plan, ITestOutputHelper output)
    {
        var total = Stopwatch.StartNew();
        await using var llm = await FakeLlm.StartAsync();
        await using var graph = await FakeGraphApi.StartAsync();
        var database = await TestDatabase.CreateAsync();
        try
        {
            var (customers, scheduledOn) = await ProofLoad.ProvisionAsync(database, plan.Customers, plan.Scheduled, plan.Tenants);
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

            var random = new Random();
            // Whole seconds, due in the middle of the kills.
            var scheduled = await ProofLoad.ScheduleAsync(http, scheduledOn,
                _ => DateTimeOffset.UtcNow.Add(plan.Load * (0.2 + 0.7 * random.NextDouble())).AddSeconds(2));
            var start = Stopwatch.StartNew();
            var answered = 0;
            var attempts = 0;
            var load = customers.Select(async c =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * plan.Load.TotalMilliseconds));
                await ProofLoad.PostUntilAcceptedAsync(http, c, status =>
                {
                    Interlocked.Increment(ref attempts);
                    if (status == HttpStatusCode.OK) Interlocked.Increment(ref answered);
                });
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

            await using var db = await ProofLoad.OpenAdminAsync(TestDatabase.AdminConnectionString, database);
            // Drained: the fake has posted every status it owes (Meta's last webhooks are work too) and nothing is left to do.
            await Eventually.TrueAsync(async () => graph.WebhooksInFlight == 0 && await ProofLoad.DrainedAsync(db, customers.Count, scheduled.Count),
                "every burst answered and every queue empty", plan.DrainTimeout);
            var drain = lastRestart.Elapsed;

            // The figures, from the database and from the fakes.
            var ledger = await ProofLoad.LedgerAsync(db, graph, customers, scheduled);
            var figures = new CrashFigures(kills, customers.Count, answered, attempts, ledger.Replies, ledger.Sends, ledger.Duplicates,
                app.CountInLog("reconciled as"),
                scheduled.Count, (int)ledger.Fired, (int)ledger.LeftOver, recoveries, drain, total.Elapsed);
            output.WriteLine(figures.ToString());
            Console.WriteLine(figures.ToString());
            await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(app.LogPath)!, $"crash-figures-{plan.Kills}-kills.txt"), figures.ToString());

            Assert.Equal(customers.Count, answered);
            ledger.AssertNothingLostOrDoubled();
            return figures;
        }
        finally
        {
            graph.WebhookTarget = null;
            await TestDatabase.DropAsync(database);
        }
    }
}
