using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Npgsql;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;

namespace OperatorConsole.Tests.Proof;

/// <summary>One outage of a run: how PostgreSQL was stopped, for how long, and how long each part of the app took to come back after it was up again.</summary>
public sealed record OutageFigures(PgStop Mode, TimeSpan Length, int Unavailable, int OkWhileDown, int ReadyRefused, TimeSpan? FirstOk, TimeSpan? Ready,
    TimeSpan? BacklogStored, int Backlog, TimeSpan? Listener, TimeSpan? Heartbeat, TimeSpan? QuartzCheckin, TimeSpan? ScheduledLate)
{
    private static string S(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never";

    public override string ToString() =>
        $"  {Mode.ToString().ToLowerInvariant(),-9} stop, down {S(Length)}: {Unavailable} answers 503, {OkWhileDown} answers 200 while down, /health/ready 503 {ReadyRefused}x; after PG was up: "
        + $"first 200 {S(FirstOk)}, /health/ready 200 {S(Ready)}, its {Backlog} refused deliveries stored {S(BacklogStored)}, "
        + $"LISTEN again {S(Listener)}, node heartbeat {S(Heartbeat)}, Quartz check-in {S(QuartzCheckin)}, scheduled message due after it sent {S(ScheduledLate)} late";
}

/// <summary>What one outage run did and found; <see cref="ToString"/> is the figures block the run prints.</summary>
public sealed record OutageRunFigures(int Customers, int Deliveries, int Attempts, int Unavailable, int Other, long Lost, long Doubled, int Replies, int Sends,
    int Scheduled, long Fired, long LeftOver, IReadOnlyList<OutageFigures> Outages, TimeSpan Drain, TimeSpan Total, int AppStarts)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"outage run: {Outages.Count} PostgreSQL outage(s) under signed webhook load, {Customers} customers, {Total.TotalSeconds:0.0} s in all, app started {AppStarts} time(s)");
        foreach (var outage in Outages) text.AppendLine(outage.ToString());
        text.AppendLine(CultureInfo.InvariantCulture, $"  deliveries answered 200: {Deliveries} of {Customers} (posts incl. Meta-style retries: {Attempts}; 503: {Unavailable}; anything else: {Other})");
        text.AppendLine(CultureInfo.InvariantCulture, $"  lost: {Lost}, stored or sent twice: {Doubled}; agent replies: {Replies}; sends at the fake Graph API: {Sends}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  scheduled messages: {Scheduled}, fired once each: {Fired}; rows left claimed or unprocessed: {LeftOver}");
        text.Append(CultureInfo.InvariantCulture, $"  everything answered, replied and sent {Drain.TotalSeconds:0.0} s after PostgreSQL was last up");
        return text.ToString();
    }
}

/// <summary>
/// Database outage, from outside: the real app as a child process (<see cref="AppProcess"/>) on a PostgreSQL cluster of
/// the test's own (<see cref="PrivateCluster"/>), under steady signed webhook load from many customers (the agent on the
/// instant fake model, sends to the fake Graph API, whose status webhooks come back like Meta's). PostgreSQL is stopped
/// (a crash: <c>-m immediate</c>; in the long run also a clean <c>-m fast</c>), the load keeps coming, and it is started
/// again — the app is never restarted. While it is down, webhooks answer 503 (Meta retries them) and readiness says
/// so; afterwards every delivery answered 200 is stored once, every burst answered once and sent once, every scheduled
/// message fired once, nothing left claimed, and the live relay's LISTEN, the node heartbeat and Quartz are back.
/// </summary>
public class OutageSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_database_crash_under_signed_webhook_load_answers_503_loses_nothing_and_recovers_without_a_restart()
    {
        var figures = await OutageRun.RunAsync(new OutageRun.Plan(Customers: 36, Tenants: 2, Before: TimeSpan.FromSeconds(3),
            Outages: [(PgStop.Immediate, TimeSpan.FromSeconds(5))], Between: TimeSpan.Zero, After: TimeSpan.FromSeconds(3),
            DrainTimeout: TimeSpan.FromSeconds(60), FastStart: true), output);
        Assert.True(figures.Unavailable > 0, "webhooks posted while PostgreSQL was down were answered 503");
    }

    [Fact]
    [Trait("Category", "Proof")]
    public async Task Four_database_outages_crash_and_clean_under_signed_webhook_load_from_200_customers_lose_nothing_and_recover_without_a_restart()
    {
        var figures = await OutageRun.RunAsync(new OutageRun.Plan(Customers: 200, Tenants: 4, Before: TimeSpan.FromSeconds(8),
            Outages: [(PgStop.Immediate, TimeSpan.FromSeconds(10)), (PgStop.Fast, TimeSpan.FromSeconds(10)), (PgStop.Immediate, TimeSpan.FromSeconds(30)),
                (PgStop.Fast, TimeSpan.FromSeconds(3))],
            Between: TimeSpan.FromSeconds(10), After: TimeSpan.FromSeconds(8), DrainTimeout: TimeSpan.FromMinutes(3)), output);
        Assert.Equal(4, figures.Outages.Count);
    }
}

public static class OutageRun
{
    /// <param name="Customers">Each writes one burst at its moment of a steady load spread over the whole run (before, during and after the outages).</param>
    /// <param name="Before">Load before the first outage.</param>
    /// <param name="Outages">How PostgreSQL is stopped and for how long it stays down, in order.</param>
    /// <param name="Between">Load between two outages.</param>
    /// <param name="After">Load after PostgreSQL is last started again.</param>
    /// <param name="FastStart">Tiered compilation on (a quicker first start): the CI run.</param>
    public sealed record Plan(int Customers, int Tenants, TimeSpan Before, IReadOnlyList<(PgStop Mode, TimeSpan Length)> Outages, TimeSpan Between,
        TimeSpan After, TimeSpan DrainTimeout, bool FastStart = false)
    {
        /// <summary>When outage <paramref name="k"/> is planned to begin, from the start of the load.</summary>
        public TimeSpan OutageAt(int k) => Before + Outages.Take(k).Aggregate(TimeSpan.Zero, (sum, o) => sum + o.Length + Between);

        public TimeSpan Load => OutageAt(Outages.Count) - Between + After;
    }

    private sealed record Answer(ProofCustomer Customer, TimeSpan SentAt, TimeSpan AnsweredAt, HttpStatusCode? Status);

    private sealed record Probe(TimeSpan SentAt, TimeSpan AnsweredAt, HttpStatusCode? Status);

    private sealed record Window(PgStop Mode, TimeSpan StopAt, TimeSpan DownAt, TimeSpan StartAt, TimeSpan UpAt, DateTimeOffset UpAtUtc);

    public static async Task<OutageRunFigures> RunAsync(Plan plan, ITestOutputHelper output)
    {
        var total = Stopwatch.StartNew();
        void Say(string line)
        {
            output.WriteLine($"[{total.Elapsed.TotalSeconds,5:0.0} s] {line}");
        }
        await using var cluster = await PrivateCluster.StartAsync();
        var database = await cluster.CreateDatabaseAsync();
        Say($"private PostgreSQL on port {cluster.Port}, migrated");
        await using var llm = await FakeLlm.StartAsync();
        await using var graph = await FakeGraphApi.StartAsync();
        // One scheduled message due before the first outage, then one due in the middle of each outage and one a few seconds after it.
        var scheduledCount = 1 + 2 * plan.Outages.Count;
        var (customers, scheduledOn) = await ProofLoad.ProvisionAsync(database, plan.Customers, scheduledCount, plan.Tenants, cluster.AppSettings(database));
        Say("provisioned");
        // The agent's lease and the send reconciliation window stay at their defaults (minutes, a minute): work caught by
        // the outage must come back when the database does, not when a lease runs out.
        var settings = new Dictionary<string, string?>(AgentApp.Settings(llm))
        {
            ["Agent:LeaseSeconds"] = null,
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            ["Scheduler:CheckinIntervalSeconds"] = "2",
            ["Scheduler:SweepSeconds"] = "5",
            ["Nodes:HeartbeatSeconds"] = "1",
            ["DOTNET_TieredCompilation"] = plan.FastStart ? "1" : null,
        };
        foreach (var (key, value) in cluster.AppSettings(database)) settings[key] = value;
        await using var app = AppProcess.Create(database, settings, "outage");
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        graph.WebhookTarget = http;
        graph.StatusDelay = TimeSpan.FromMilliseconds(300);
        Say($"app ready in {(await app.StartAsync(TimeSpan.FromSeconds(120))).TotalSeconds:0.0} s");

        // The plan starts a few seconds ahead: scheduling through the API (a freshly started process compiles that path
        // on its first call, seconds on a busy machine) must not eat into the due times, or the first is refused as past.
        var loadStartUtc = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        var scheduled = await ProofLoad.ScheduleAsync(http, scheduledOn, i => loadStartUtc + (i == 0
            ? plan.Before / 2 + TimeSpan.FromSeconds(1)
            : plan.OutageAt((i - 1) / 2) + ((i - 1) % 2 == 0 ? plan.Outages[(i - 1) / 2].Length / 2 : plan.Outages[(i - 1) / 2].Length + TimeSpan.FromSeconds(3))));
        if (loadStartUtc - DateTimeOffset.UtcNow is { } ahead && ahead > TimeSpan.Zero) await Task.Delay(ahead); // the plan's start time
        var clock = Stopwatch.StartNew();

        // The steady load: customer i writes at its moment; each burst is retried like Meta until answered 200.
        var answers = new ConcurrentQueue<Answer>();
        var load = customers.Select(async (c, i) =>
        {
            var due = plan.Load * i / customers.Count - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            var sentAt = TimeSpan.Zero;
            await ProofLoad.PostUntilAcceptedAsync(http, c, status => answers.Enqueue(new Answer(c, sentAt, clock.Elapsed, status)),
                sending: () => sentAt = clock.Elapsed);
        }).ToList();

        // Readiness, as a load balancer would poll it.
        using var stopProbing = new CancellationTokenSource();
        var probes = new ConcurrentQueue<Probe>();
        var prober = Task.Run(async () =>
        {
            using var probe = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            while (!stopProbing.IsCancellationRequested)
            {
                var sentAt = clock.Elapsed;
                HttpStatusCode? status = null;
                try
                {
                    using var response = await probe.GetAsync("/health/ready");
                    status = response.StatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
                probes.Enqueue(new Probe(sentAt, clock.Elapsed, status));
                await Task.Delay(200).ContinueWith(_ => { });
            }
        });

        var windows = new List<Window>();
        var recoveries = new List<Task<(TimeSpan? Listener, TimeSpan? Heartbeat, TimeSpan? Quartz)>>();
        for (var k = 0; k < plan.Outages.Count; k++)
        {
            var (mode, length) = plan.Outages[k];
            var wait = plan.OutageAt(k) - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var stopAt = clock.Elapsed;
            await cluster.StopAsync(mode);
            var downAt = clock.Elapsed;
            Say($"PostgreSQL stopped ({mode}) in {(downAt - stopAt).TotalSeconds:0.0} s");
            var rest = length - (downAt - stopAt);
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
            Assert.True(app.Running, "the app process stays up while the database is down");
            var startAt = clock.Elapsed;
            await cluster.StartAgainAsync();
            var window = new Window(mode, stopAt, downAt, startAt, clock.Elapsed, DateTimeOffset.UtcNow);
            windows.Add(window);
            Say($"PostgreSQL up again in {(window.UpAt - startAt).TotalSeconds:0.0} s");
            recoveries.Add(RecoveryAsync(cluster, database, window, clock));
        }

        await Task.WhenAll(load);
        Say("every delivery answered 200");
        var lastUp = windows[^1].UpAt;
        await using (var db = await ProofLoad.OpenAdminAsync(cluster.AdminConnectionString, database))
        {
            // Drained: the fake has posted every status it owes (Meta's webhooks are work too) and nothing is left to do.
            await Eventually.TrueAsync(async () => graph.WebhooksInFlight == 0 && await ProofLoad.DrainedAsync(db, customers.Count, scheduled.Count),
                "every burst answered and every queue empty", plan.DrainTimeout);
            var drain = clock.Elapsed - lastUp;
            Say($"drained {drain.TotalSeconds:0.0} s after PostgreSQL was last up; last customer send at the fake "
                + $"{(graph.Sends.Max(x => x.At) - windows[^1].UpAtUtc).TotalSeconds:0.0} s after it");
            var recovered = await Task.WhenAll(recoveries);
            await stopProbing.CancelAsync();
            await prober;
            var ledger = await ProofLoad.LedgerAsync(db, graph, customers, scheduled);

            var all = answers.ToList();
            var outages = windows.Select((w, k) =>
            {
                // Refused while down: posts sent once the server had gone and answered before it was being started again.
                var whileDown = all.Where(a => a.SentAt >= w.DownAt && a.AnsweredAt <= w.StartAt).ToList();
                var refused = all.Where(a => a.SentAt >= w.StopAt && a.AnsweredAt <= w.UpAt && a.Status == HttpStatusCode.ServiceUnavailable)
                    .Select(a => a.Customer).Distinct().ToList();
                var firstOk = all.Where(a => a.Status == HttpStatusCode.OK && a.AnsweredAt >= w.UpAt).Select(a => (TimeSpan?)(a.AnsweredAt - w.UpAt)).Min();
                var backlogStored = refused.Count == 0 ? TimeSpan.Zero
                    : all.Where(a => a.Status == HttpStatusCode.OK && refused.Contains(a.Customer)).Select(a => (TimeSpan?)(a.AnsweredAt - w.UpAt)).Max();
                var ready = probes.Where(p => p.Status == HttpStatusCode.OK && p.SentAt >= w.UpAt).Select(p => (TimeSpan?)(p.AnsweredAt - w.UpAt)).Min();
                var scheduledAfter = scheduled[2 + 2 * k];
                var sent = graph.Sends.Where(s => s.Body?["text"]?["body"]?.GetValue<string>() == scheduledAfter.Text).Select(s => (DateTimeOffset?)s.At).Min();
                var readyRefused = probes.Count(p => p.SentAt >= w.StopAt && p.SentAt <= w.UpAt && p.Status == HttpStatusCode.ServiceUnavailable);
                return new OutageFigures(w.Mode, w.UpAt - w.StopAt, whileDown.Count(a => a.Status == HttpStatusCode.ServiceUnavailable),
                    whileDown.Count(a => a.Status == HttpStatusCode.OK), readyRefused, firstOk, ready, backlogStored, refused.Count,
                    recovered[k].Listener, recovered[k].Heartbeat, recovered[k].Quartz, sent - scheduledAfter.At);
            }).ToList();
            var figures = new OutageRunFigures(customers.Count, all.Count(a => a.Status == HttpStatusCode.OK), all.Count,
                all.Count(a => a.Status == HttpStatusCode.ServiceUnavailable), all.Count(a => a.Status is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)),
                ledger.Expected - ledger.Stored, ledger.StoredRows - ledger.Stored + ledger.Duplicates, ledger.Replies, ledger.Sends,
                scheduled.Count, ledger.Fired, ledger.LeftOver, outages, drain, total.Elapsed, app.Starts);
            output.WriteLine(figures.ToString());
            Console.WriteLine(figures.ToString());
            await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(app.LogPath)!, $"outage-figures-{plan.Outages.Count}.txt"), figures.ToString());

            // The app answered every post, never with a 500 or anything but 200/503, and was never restarted.
            Assert.True(app.Running, "the app process is still up");
            Assert.Equal(1, app.Starts);
            Assert.Equal(0, figures.Other);
            Assert.Equal(customers.Count, figures.Deliveries);
            ledger.AssertNothingLostOrDoubled();
            foreach (var (outage, w) in outages.Zip(windows))
            {
                // While down: webhooks 503 (never 200) and readiness 503 (never 200); afterwards each part is back by itself.
                Assert.Equal(0, outage.OkWhileDown);
                Assert.All(probes.Where(p => p.SentAt >= w.DownAt && p.AnsweredAt <= w.StartAt), p => Assert.NotEqual(HttpStatusCode.OK, p.Status));
                Assert.True(outage.ReadyRefused > 0, "/health/ready answered 503 while the database was down");
                Assert.NotNull(outage.FirstOk);
                Assert.NotNull(outage.Ready);
                Assert.NotNull(outage.BacklogStored);
                Assert.NotNull(outage.Listener);
                Assert.NotNull(outage.Heartbeat);
                Assert.NotNull(outage.QuartzCheckin);
                Assert.NotNull(outage.ScheduledLate);
            }
            return figures;
        }
    }

    /// <summary>
    /// From PostgreSQL's side, how long after it was up again the app's background parts were back: the live relay's
    /// LISTEN session, this node's heartbeat row, Quartz's cluster check-in. Null: not within a minute.
    /// </summary>
    private static async Task<(TimeSpan? Listener, TimeSpan? Heartbeat, TimeSpan? Quartz)> RecoveryAsync(PrivateCluster cluster, string database, Window w, Stopwatch clock)
    {
        var upTicks = w.UpAtUtc.UtcTicks;
        TimeSpan? listener = null, heartbeat = null, quartz = null;
        var deadline = w.UpAt + TimeSpan.FromMinutes(1);
        while ((listener is null || heartbeat is null || quartz is null) && clock.Elapsed < deadline)
        {
            try
            {
                await using var db = await ProofLoad.OpenAdminAsync(cluster.AdminConnectionString, database);
                listener ??= await ProofLoad.ScalarAsync(db, """
                    SELECT count(*) FROM pg_stat_activity WHERE application_name = 'console-live-listener' AND query ILIKE 'LISTEN %'
                    """) > 0 ? (TimeSpan?)(clock.Elapsed - w.UpAt) : null;
                heartbeat ??= await ProofLoad.ScalarAsync(db, "SELECT count(*) FROM cluster_nodes WHERE heartbeat_at >= @up", ("up", w.UpAtUtc)) > 0
                    ? (TimeSpan?)(clock.Elapsed - w.UpAt) : null;
                quartz ??= await ProofLoad.ScalarAsync(db, "SELECT count(*) FROM quartz.qrtz_scheduler_state WHERE last_checkin_time >= @up", ("up", upTicks)) > 0
                    ? (TimeSpan?)(clock.Elapsed - w.UpAt) : null;
            }
            catch (NpgsqlException)
            {
                // Only just up.
            }
            await Task.Delay(100);
        }
        return (listener, heartbeat, quartz);
    }
}
